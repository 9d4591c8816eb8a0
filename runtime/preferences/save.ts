/**
 * Saving a user's explicit choices, shared by the preferences API (`PUT /v1/users/:id/preferences`) and the
 * hosted preference center, so both refuse the same things: categories the live bundle does not know, and
 * opting out of a required category (security codes, receipts). Everything is checked before anything is
 * written, and written in one transaction: a refused request changes nothing.
 */
import type { Bundle, Channel } from '../../compiler/bundle/schema.ts';
import * as sql from '../db/sql.ts';
import { exec } from '../db/sql-client.ts';
import type { Database } from '../db/pool.ts';
import { InputError } from '../errors.ts';

/** `category` → `channel` → opted in? Channels left out keep their current state. */
export type PreferenceChanges = Record<string, Partial<Record<Channel, boolean>>>;

/** A change the rules refuse. An InputError: the API's error handler answers it 400 `invalid_request`. */
export class PreferenceRefused extends InputError {
  readonly refusal: 'unknown_category' | 'required_category';
  readonly category: string;

  constructor(refusal: 'unknown_category' | 'required_category', category: string, message: string, channel?: Channel) {
    super(message, [{ path: channel ? `categories.${category}.${channel}` : `categories.${category}`, message, code: refusal }]);
    this.refusal = refusal;
    this.category = category;
  }
}

/** The first change the rules refuse, or null when all may be saved. */
export function refusal(bundle: Pick<Bundle, 'categories'> | null | undefined, changes: PreferenceChanges): PreferenceRefused | null {
  for (const [categoryId, channels] of Object.entries(changes)) {
    const category = bundle && Object.hasOwn(bundle.categories, categoryId) ? bundle.categories[categoryId] : undefined;
    if (!category) {
      const known = Object.keys(bundle?.categories ?? {}).join(', ');
      return new PreferenceRefused('unknown_category', categoryId, `unknown category "${categoryId}" (known: ${known})`);
    }
    for (const [channel, allowed] of Object.entries(channels) as [Channel, boolean][]) {
      if (category.required && !allowed) {
        return new PreferenceRefused('required_category', categoryId, `category "${categoryId}" is required and cannot be opted out of (${channel})`, channel);
      }
    }
  }
  return null;
}

/** Records each change as the user's explicit choice; throws PreferenceRefused (nothing written) when a rule refuses one. */
export async function savePreferences(
  db: Pick<Database, 'transaction'>,
  bundle: Pick<Bundle, 'categories'> | null | undefined,
  userId: string,
  changes: PreferenceChanges,
): Promise<void> {
  const refused = refusal(bundle, changes);
  if (refused) throw refused;
  await db.transaction(async (tx) => {
    for (const [categoryId, channels] of Object.entries(changes)) {
      for (const [channel, allowed] of Object.entries(channels) as [Channel, boolean][]) {
        await exec(tx, sql.setPreference(userId, categoryId, channel, allowed));
      }
    }
  });
}
