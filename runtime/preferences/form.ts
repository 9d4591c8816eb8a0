/**
 * The preference center's form, as posted by a plain HTML form (no JavaScript needed). A checkbox that is
 * not checked is not posted at all, so the page also posts one hidden `shown` field per toggle it showed:
 * the server applies exactly those (checked → opted in, unchecked → opted out) and nothing else, so a
 * category added to the bundle after the page was rendered is never opted out behind the user's back.
 */
import { z } from 'zod';
import { channelSchema, type Bundle, type Channel } from '../../compiler/bundle/schema.ts';
import type { PreferenceChanges } from './save.ts';

/** A toggle's value on the page: `<category>:<channel>`. Category ids may contain ':', channels never do. */
export const toggleKey = (category: string, channel: Channel) => `${category}:${channel}`;

const toggle = z
  .string()
  .max(300)
  .transform((value, ctx) => {
    const at = value.lastIndexOf(':');
    const channel = channelSchema.safeParse(value.slice(at + 1));
    if (at < 1 || !channel.success) {
      ctx.addIssue({ code: 'custom', message: 'a toggle is "<category>:<channel>"' });
      return z.NEVER;
    }
    return { key: value, category: value.slice(0, at), channel: channel.data };
  });

/** One value or many (`parseBody({ all: true })` gives an array only when a field repeats). */
const toggles = z
  .union([toggle, z.array(toggle).max(2_000)])
  .optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));

/** Other fields (the Save button's name, if any) are ignored. */
export const centerForm = z.object({ shown: toggles, on: toggles });
export type CenterForm = z.infer<typeof centerForm>;

/**
 * The changes the form asks for. Toggles of categories the live bundle no longer has are dropped (a stale
 * page: there is nothing left to send in them); required categories are passed on, so that the shared rules
 * (save.ts) refuse a crafted opt-out rather than this module quietly deciding.
 */
export function changesFromForm(form: CenterForm, bundle: Pick<Bundle, 'categories'> | null | undefined): PreferenceChanges {
  const on = new Set(form.on.map((t) => t.key));
  // Keyed by names from the form: null prototypes, so `__proto__:sms` is a category like any other (and dropped).
  const changes: PreferenceChanges = Object.create(null);
  for (const { key, category, channel } of form.shown) {
    if (!bundle || !Object.hasOwn(bundle.categories, category)) continue;
    (changes[category] ??= Object.create(null) as Partial<Record<Channel, boolean>>)[channel] = on.has(key);
  }
  return changes;
}
