/**
 * Picks the adapter for each provider of the bundle. Real SDK adapters come with their credentials; until
 * then (or when a provider's credentials are unset) the sandbox stands in, and start-up says so.
 */
import type { Provider } from '../../compiler/bundle/schema.ts';
import { inappProvider } from './inapp.ts';
import { createSandboxProvider, type SandboxDelivery } from './sandbox.ts';
import type { DeliveryProvider } from './types.ts';

export interface ProviderRegistry {
  get(provider: Provider): DeliveryProvider;
  /** One line per provider: which adapter serves it and why. */
  describe(providers: Provider[]): string[];
}

export interface RegistryOptions {
  env?: NodeJS.ProcessEnv;
  onSandboxDelivery?: (d: SandboxDelivery) => void;
  /** Adapters by provider id, chosen before anything else (fake providers in tests). */
  adapters?: Record<string, DeliveryProvider>;
}

export function createProviderRegistry(options: RegistryOptions = {}): ProviderRegistry {
  const sandbox = createSandboxProvider(options.onSandboxDelivery);
  const env = options.env ?? process.env;
  const missing = (p: Provider) => Object.values(p.credentials).filter((c) => !env[c.env]).map((c) => c.env);
  return {
    get(provider) {
      const given = options.adapters?.[provider.id];
      if (given) return given;
      if (provider.kind === 'inapp') return inappProvider;
      // Real provider adapters (SendGrid, Twilio, FCM) plug in here; without them every send is sandboxed.
      return sandbox;
    },
    describe(providers) {
      return providers.map((p) => {
        if (p.kind === 'inapp') return `${p.id} (${p.channel}): Herald's in-app inbox`;
        if (p.kind === 'sandbox') return `${p.id} (${p.channel}): sandbox`;
        const unset = missing(p);
        return unset.length
          ? `${p.id} (${p.channel}): sandbox — ${unset.join(', ')} not set`
          : `${p.id} (${p.channel}): sandbox — the ${p.kind} adapter is not part of this build`;
      });
    },
  };
}
