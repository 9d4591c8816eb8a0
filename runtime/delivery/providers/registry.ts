/**
 * Picks the adapter for each provider of the bundle: the provider's real SDK adapter when its credentials are
 * set in the environment, else the sandbox (and start-up says which, and why). Credentials are read from the
 * variables the bundle names (`env('SENDGRID_API_KEY')`), falling back to the conventional names; non-secret
 * settings: the sender from the environment first (it differs per deployment), then the provider's `from`;
 * the API base URL from the provider's `options.apiUrl` (one account's), then the environment (all of a kind).
 * Adapters are built once per provider and kept: SDK clients hold connection pools and OAuth tokens.
 */
import type { Provider } from '../../../compiler/bundle/schema.ts';
import { createFcmProvider } from './fcm.ts';
import { createProviderHealth, type ProviderHealth } from './health.ts';
import { inappProvider } from './inapp.ts';
import { createSandboxProvider, type SandboxDelivery } from './sandbox.ts';
import { createSendgridProvider } from './sendgrid.ts';
import { createTwilioProvider } from './twilio.ts';
import type { DeliveryProvider } from './types.ts';
import { credentialVariable, DEFAULT_CREDENTIALS } from '../../../compiler/bundle/credentials.ts';
import { createWebhookProvider } from './webhook.ts';
import { webhookSecretProblem } from '../../outbound/sign.ts';
import { type OutboundPolicy, outboundPolicy } from '../../outbound/guard.ts';

export { credentialSlots, credentialVariable } from '../../../compiler/bundle/credentials.ts';

export interface ProviderRegistry {
  get(provider: Provider): DeliveryProvider;
  /** One line per provider: which adapter serves it and why. */
  describe(providers: Provider[]): string[];
  /** Success rate, latency and circuit breaker per provider. */
  health: ProviderHealth;
  /** Releases what adapters hold (SDK apps, connection pools). */
  close(): Promise<void>;
}

export interface RegistryOptions {
  env?: NodeJS.ProcessEnv;
  /** The outbound guard's policy, built by the runtime from its mode (default: from `env`). */
  policy?: OutboundPolicy;
  onSandboxDelivery?: (d: SandboxDelivery) => void;
  /** Adapters by provider id, chosen before anything else (scripted providers in tests). */
  adapters?: Record<string, DeliveryProvider>;
  health?: ProviderHealth;
}

type Resolved = { ok: true; adapter: DeliveryProvider; line: string } | { ok: false; why: string };

function option(provider: Provider, key: string): string | undefined {
  const value = provider.options[key];
  return typeof value === 'string' && value ? value : undefined;
}

/**
 * A webhook provider: its URL from the variable the bundle names (`url: env('CRM_HOOK_URL')`) or written in the
 * bundle (`options.url`), its Standard Webhooks secret from the variable it names (`whsec_` + base64).
 */
function resolveWebhook(provider: Provider, env: NodeJS.ProcessEnv, given: OutboundPolicy | undefined): Resolved {
  const urlVariable = credentialVariable(provider, 'url');
  const secretVariable = credentialVariable(provider, 'secret');
  const url = urlVariable ? env[urlVariable] : option(provider, 'url');
  const secret = secretVariable ? env[secretVariable] : undefined;
  const unset = [!url && (urlVariable ?? 'the url'), !secret && (secretVariable ?? 'the secret')].filter(Boolean);
  if (unset.length || !url || !secret) return { ok: false, why: `${unset.join(', ')} not set` };
  const problem = webhookSecretProblem(secret);
  if (problem) return { ok: false, why: `${secretVariable} ${problem}` };
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    return { ok: false, why: `${urlVariable ?? 'options.url'} "${url}" is not an absolute URL` };
  }
  let policy: OutboundPolicy;
  try {
    policy = given ?? outboundPolicy(env);
  } catch (error) {
    return { ok: false, why: error instanceof Error ? error.message : String(error) };
  }
  return { ok: true, adapter: createWebhookProvider({ url, secret, policy }), line: `signed webhook (Standard Webhooks) to ${origin}` };
}

function resolve(provider: Provider, env: NodeJS.ProcessEnv, policy: OutboundPolicy | undefined): Resolved {
  if (provider.kind === 'webhook') return resolveWebhook(provider, env, policy);
  const slots = DEFAULT_CREDENTIALS[provider.kind];
  if (!slots) return { ok: false, why: `no adapter for kind "${provider.kind}"` };
  const values: Record<string, string> = {};
  const unset: string[] = [];
  for (const slot of Object.keys(slots)) {
    const name = credentialVariable(provider, slot)!;
    const value = env[name];
    if (value) values[slot] = value;
    else unset.push(name);
  }
  if (unset.length) return { ok: false, why: `${unset.join(', ')} not set` };
  try {
    switch (provider.kind) {
      case 'sendgrid': {
        const apiUrl = option(provider, 'apiUrl') ?? env.SENDGRID_API_URL;
        const from = env.SENDGRID_FROM ?? provider.from;
        const adapter = createSendgridProvider({ apiKey: values.apiKey!, ...(from ? { from } : {}), ...(apiUrl ? { apiUrl } : {}) });
        return { ok: true, adapter, line: `SendGrid (@sendgrid/mail)${apiUrl ? ` at ${apiUrl}` : ''}, from ${from ?? '(unset: set SENDGRID_FROM)'}` };
      }
      case 'twilio': {
        const apiUrl = option(provider, 'apiUrl') ?? env.TWILIO_API_URL;
        const messagingServiceSid = env.TWILIO_MESSAGING_SERVICE_SID ?? option(provider, 'messagingServiceSid');
        const from = env.TWILIO_FROM ?? provider.from;
        const adapter = createTwilioProvider({
          accountSid: values.accountSid!,
          authToken: values.authToken!,
          ...(messagingServiceSid ? { messagingServiceSid } : from ? { from } : {}),
          ...(apiUrl ? { apiUrl } : {}),
        });
        const sender = messagingServiceSid ? `messaging service ${messagingServiceSid}` : `from ${from ?? '(unset: set TWILIO_FROM)'}`;
        return { ok: true, adapter, line: `Twilio (twilio)${apiUrl ? ` at ${apiUrl}` : ''}, ${sender}` };
      }
      case 'fcm': {
        const apiUrl = option(provider, 'apiUrl') ?? env.FCM_API_URL;
        const adapter = createFcmProvider({ serviceAccount: values.serviceAccount!, ...(apiUrl ? { apiUrl } : {}) });
        return { ok: true, adapter, line: `Firebase Cloud Messaging (firebase-admin)${apiUrl ? ` at ${apiUrl}` : ''}` };
      }
      default:
        return { ok: false, why: `no adapter for kind "${provider.kind}"` };
    }
  } catch (error) {
    // Credentials that are set but unusable (a service account that is neither a file nor JSON): say so.
    return { ok: false, why: `credentials unusable: ${error instanceof Error ? error.message : String(error)}` };
  }
}

export function createProviderRegistry(options: RegistryOptions = {}): ProviderRegistry {
  const sandbox = createSandboxProvider(options.onSandboxDelivery);
  const env = options.env ?? process.env;
  const resolved = new Map<string, Resolved>();
  // Every send asks; a bundle's provider objects live as long as the bundle, so they are the cheap key.
  const byObject = new WeakMap<Provider, Resolved>();
  const resolveOnce = (provider: Provider) => {
    let entry = byObject.get(provider);
    if (entry) return entry;
    // Keyed by content too: a new bundle may redefine a provider under the same id (or repeat it unchanged).
    const key = `${provider.id}\0${JSON.stringify(provider)}`;
    entry = resolved.get(key);
    if (!entry) resolved.set(key, (entry = resolve(provider, env, options.policy)));
    byObject.set(provider, entry);
    return entry;
  };
  return {
    health: options.health ?? createProviderHealth(),
    get(provider) {
      const given = options.adapters?.[provider.id];
      if (given) return given;
      if (provider.kind === 'inapp') return inappProvider;
      if (provider.kind === 'sandbox') return sandbox;
      const entry = resolveOnce(provider);
      return entry.ok ? entry.adapter : sandbox;
    },
    async close() {
      for (const entry of resolved.values()) {
        const adapter = entry.ok ? (entry.adapter as DeliveryProvider & { close?: () => Promise<void> }) : null;
        await adapter?.close?.().catch(() => {});
      }
    },
    describe(providers) {
      return providers.map((p) => {
        if (options.adapters?.[p.id]) return `${p.id} (${p.channel}): ${options.adapters[p.id]!.kind} (given)`;
        if (p.kind === 'inapp') return `${p.id} (${p.channel}): Herald's in-app inbox`;
        if (p.kind === 'sandbox') return `${p.id} (${p.channel}): sandbox`;
        const entry = resolveOnce(p);
        return entry.ok ? `${p.id} (${p.channel}): ${entry.line}` : `${p.id} (${p.channel}): sandbox — ${entry.why}`;
      });
    },
  };
}
