/**
 * Which environment variables hold a provider's credentials: the names the bundle gives, else the conventional
 * ones. Pure data, so that the engine can keep a fetch step from reading them (runtime/engine/fetch-env.ts) without
 * loading any provider SDK.
 */
import type { Bundle, Provider } from './schema.ts';

/** The conventional variable for each credential slot, when the bundle does not name one. */
export const DEFAULT_CREDENTIALS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  sendgrid: { apiKey: 'SENDGRID_API_KEY' },
  twilio: { accountSid: 'TWILIO_ACCOUNT_SID', authToken: 'TWILIO_AUTH_TOKEN' },
  fcm: { serviceAccount: 'FIREBASE_SERVICE_ACCOUNT' },
};

/** The credential slots a provider's kind needs (`apiKey`; `accountSid` and `authToken`; …). */
export function credentialSlots(provider: Provider): string[] {
  return Object.keys((Object.hasOwn(DEFAULT_CREDENTIALS, provider.kind) && DEFAULT_CREDENTIALS[provider.kind]) || provider.credentials);
}

/** The variable that holds a provider's credential slot. */
export function credentialVariable(provider: Provider, slot: string): string | undefined {
  if (Object.hasOwn(provider.credentials, slot)) return provider.credentials[slot]!.env;
  const defaults = Object.hasOwn(DEFAULT_CREDENTIALS, provider.kind) ? DEFAULT_CREDENTIALS[provider.kind]! : undefined;
  return defaults && Object.hasOwn(defaults, slot) ? defaults[slot] : undefined;
}

/** Every variable a bundle's providers read credentials from, and the conventional names of every kind. */
export function credentialVariables(bundle: Pick<Bundle, 'providers'>): Set<string> {
  const names = new Set(Object.values(DEFAULT_CREDENTIALS).flatMap((slots) => Object.values(slots)));
  for (const provider of Object.values(bundle.providers)) for (const { env } of Object.values(provider.credentials)) names.add(env);
  return names;
}
