/** What the engine may know about a recipient: the profile, preferences and presence, read in the job's transaction. */
import type { Channel, JsonValue } from '../../compiler/bundle/schema.ts';
import * as sql from '../db/sql.ts';
import { one, type SqlClient } from '../db/sql-client.ts';
import type { UserSnapshot } from '../engine/types.ts';

interface UserRow {
  id: string;
  email: string | null;
  phone_number: string | null;
  push_tokens: string[];
  locale: string | null;
  timezone: string | null;
  traits: Record<string, JsonValue>;
  sms_opt_out: boolean;
  last_active_at: Date | null;
}

/** A direct recipient (`to: { email, phone_number }`) without a stored profile. */
export function recipientSnapshot(recipient: Record<string, unknown> | null): UserSnapshot {
  const r = recipient ?? {};
  return {
    id: null,
    email: typeof r.email === 'string' ? r.email : null,
    phone_number: typeof r.phone_number === 'string' ? r.phone_number : null,
    push_tokens: Array.isArray(r.push_tokens) ? (r.push_tokens as string[]) : [],
    locale: typeof r.locale === 'string' ? r.locale : null,
    timezone: typeof r.timezone === 'string' ? r.timezone : null,
    traits: {},
    lastActiveAt: null,
    preferences: {},
  };
}

export async function loadUserSnapshot(client: SqlClient, userId: string): Promise<UserSnapshot> {
  const row = await one<Partial<UserRow> & { prefs: { category: string; channel: Channel; allowed: boolean }[] }>(client, sql.userWithPreferences(userId));
  const user = row?.id ? (row as UserRow) : undefined;
  const prefs = row?.prefs ?? [];
  const preferences: UserSnapshot['preferences'] = {};
  for (const p of prefs) (preferences[p.category] ??= {})[p.channel] = p.allowed;
  return {
    id: userId,
    email: user?.email ?? null,
    phone_number: user?.phone_number ?? null,
    push_tokens: user?.push_tokens ?? [],
    locale: user?.locale ?? null,
    timezone: user?.timezone ?? null,
    traits: user?.traits ?? {},
    lastActiveAt: user?.last_active_at ? user.last_active_at.getTime() : null,
    preferences,
    smsOptOut: user?.sms_opt_out ?? false,
  };
}
