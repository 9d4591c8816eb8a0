/**
 * The built-in template values (runtime/render/builtins.ts) for renders made outside a runtime: the preview, the
 * replay and the simulator. Links are signed with a throwaway secret, so that their length — which decides SMS
 * segment counts — is the length a recipient would get.
 */
import type { JsonValue } from '../bundle/schema.ts';
import { createLinkSigner, templateBuiltins, type BuiltinInput as SendBuiltins } from '../../runtime/render/index.ts';

/** Where links point when no runtime address is known (HERALD_PUBLIC_URL, as the runtime reads it, wins). */
export const DEFAULT_PUBLIC_URL = 'https://herald.example.com';

// Only the length of the signature matters here; nothing signed with this secret is ever verified.
const signer = createLinkSigner('herald-preview-not-a-secret');

/** What the runtime's built-ins need, less the signer (a throwaway one stands in). */
export type BuiltinInput = Omit<SendBuiltins, 'links'>;

export function builtinValues(input: BuiltinInput): Record<string, JsonValue> {
  return templateBuiltins({ ...input, links: signer }).values;
}

/** A UUID-shaped id (the runtime's message and run ids are UUIDs), deterministic so outputs are reproducible. */
export function uuidLike(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

export function publicUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return (env.HERALD_PUBLIC_URL ?? DEFAULT_PUBLIC_URL).replace(/\/+$/, '');
}
