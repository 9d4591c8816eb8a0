/**
 * What a call may do with a browser write key. Such a key is public (analytics.js ships it to every visitor),
 * so its calls can name any user: they must not reach what lets someone take over another user's messages.
 *
 * | call      | with a browser key |
 * |-----------|--------------------|
 * | identify  | applied without the contact fields (`traits.email`, `traits.phone`, `traits.phone_number`, `context.device.token`), which are reported as ignored |
 * | alias     | refused (403): merging profiles would hand one user's profile to another |
 * | track     | logged; starts only workflows marked `clientTriggerable` (intake/events.ts) |
 * | page, screen, group | as with a server key |
 */
import type { JsonValue } from '../../compiler/bundle/schema.ts';
import type { WriteKeyKind } from './auth.ts';
import { CONTACT_TRAITS, otherTraits } from './profile.ts';
import type { SegmentContext, SegmentEvent } from './schema.ts';

export type Restricted = { ok: true; event: SegmentEvent; ignored: string[] } | { ok: false; reason: string };

export const CONTACT_IGNORED_REASON =
  'a browser write key (SEGMENT_BROWSER_WRITE_KEY) may not change where messages go; these fields were ignored: set them with a server write key (SEGMENT_WRITE_KEY) or PUT /v1/users/:id';

export const ALIAS_REFUSED_REASON =
  'alias: a browser write key (SEGMENT_BROWSER_WRITE_KEY) may not merge profiles, since anyone can read it from the page; send alias from a server with a server write key (SEGMENT_WRITE_KEY)';

function withoutContactTraits(traits: Record<string, JsonValue>): { traits: Record<string, JsonValue>; ignored: string[] } {
  const ignored = Object.keys(traits).filter((name) => CONTACT_TRAITS.includes(name));
  return { traits: otherTraits(traits), ignored: ignored.map((name) => `traits.${name}`) };
}

/** The context without the device's push token (a token added to someone's profile receives their pushes). */
function withoutPushToken(context: SegmentContext | undefined): { context: SegmentContext | undefined; ignored: string[] } {
  if (context?.device?.token === undefined) return { context, ignored: [] };
  const { token: _token, ...device } = context.device;
  return { context: { ...context, device }, ignored: ['context.device.token'] };
}

/** The call as a key of this kind may make it: unchanged for a server key. */
export function restrictCall(event: SegmentEvent, kind: WriteKeyKind): Restricted {
  if (kind === 'server') return { ok: true, event, ignored: [] };
  switch (event.type) {
    case 'alias':
      return { ok: false, reason: ALIAS_REFUSED_REASON };
    case 'identify': {
      const traits = withoutContactTraits(event.traits);
      const context = withoutPushToken(event.context);
      return { ok: true, event: { ...event, traits: traits.traits, context: context.context }, ignored: [...traits.ignored, ...context.ignored] };
    }
    default:
      return { ok: true, event, ignored: [] };
  }
}
