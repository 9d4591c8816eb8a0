/**
 * The built-in template values (`preferences_url`, `unsubscribe_url`, `message_id`, `run_id`, `digest`) as the
 * runtime's deliver step makes them (runtime/driver/deliver.ts), for renders made outside a runtime: the
 * preview and the replay. Links are built the same way, signed with a throwaway secret, so that their
 * length — which decides SMS segment counts — is the length a recipient would get.
 */
import type { Bundle, Channel, JsonValue } from '../bundle/schema.ts';
import { createLinkSigner } from '../../runtime/links.ts';

/** Where links point when no runtime address is known (HERALD_PUBLIC_URL, as the runtime reads it, wins). */
export const DEFAULT_PUBLIC_URL = 'https://herald.example.com';

// Only the length of the signature matters here; nothing signed with this secret is ever verified.
const signer = createLinkSigner('herald-preview-not-a-secret');

export interface BuiltinInput {
  bundle: Pick<Bundle, 'categories'>;
  publicUrl: string;
  userId: string | null;
  /** The category of the workflow that sends the message (decides whether an unsubscribe link exists). */
  category: string | null;
  channel: Channel;
  messageId: string;
  runId: string;
  digest: { count: number; items: JsonValue[] } | null;
  /** The send's time, for the link's expiry (epoch ms). */
  now: number;
}

export function builtinValues(input: BuiltinInput): Record<string, JsonValue> {
  // Same links as the runtime: a signed preference-center link for a user, the bare page for a direct recipient.
  const preferencesUrl = input.userId ? `${input.publicUrl}/preferences/${signer.preferences(input.userId, input.now)}` : `${input.publicUrl}/preferences`;
  const category = input.category ? input.bundle.categories[input.category] : undefined;
  // Same rule as the runtime: no unsubscribe link for required categories, uncategorised sends or direct recipients.
  const unsubscribeUrl =
    category && !category.required && input.userId
      ? `${input.publicUrl}/unsubscribe/${signer.unsubscribe({ userId: input.userId, category: category.id, channel: input.channel, messageId: input.messageId }, input.now)}`
      : preferencesUrl;
  return {
    message_id: input.messageId,
    run_id: input.runId,
    preferences_url: preferencesUrl,
    unsubscribe_url: unsubscribeUrl,
    ...(input.digest ? { digest: input.digest } : {}),
  };
}

/** A UUID-shaped id (the runtime's message and run ids are UUIDs), deterministic so outputs are reproducible. */
export function uuidLike(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

export function publicUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return (env.HERALD_PUBLIC_URL ?? DEFAULT_PUBLIC_URL).replace(/\/+$/, '');
}
