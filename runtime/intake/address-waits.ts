/**
 * A profile that gains an address (a Segment identify, `PUT /v1/users/:id`, a Courier profile, an alias that
 * brings one) wakes its user's sends waiting for one (the engine's address grace, runtime/engine/address.ts):
 * each gets a `profileChanged` fact in the same transaction, so it goes out now rather than at the grace's end.
 * Runs not started yet are told too: a start that read the profile just before this change commits waiting,
 * and the fact, queued behind it on the run's lock, then finds the address. A run the fact finds not waiting
 * for an address ignores it.
 */
import * as sql from '../db/sql.ts';
import { rows, type SqlClient } from '../db/sql-client.ts';
import type { DriverDeps } from '../execution/deps.ts';
import { type FactDelivery, sendFacts } from '../execution/queue.ts';

/** A profile's addresses, as the users table holds them. */
export interface Addresses {
  email?: string | null | undefined;
  phone_number?: string | null | undefined;
  push_tokens?: readonly string[] | null | undefined;
}

/**
 * Whether a profile change gave the user somewhere new to send: an email or phone number it did not have (or a
 * different one), or a push token it did not hold. Saving the same profile again, clearing an address or changing a
 * trait wakes no one: an identify on every page load must not send a fact to each of the user's running runs.
 */
export function gainedAddress(before: Addresses | null | undefined, after: Addresses): boolean {
  const changed = (field: 'email' | 'phone_number') => !!after[field] && after[field] !== before?.[field];
  const held = new Set(before?.push_tokens ?? []);
  return changed('email') || changed('phone_number') || (after.push_tokens ?? []).some((token) => !held.has(token));
}

/** What an upsert of the users table returns for gainedAddress (db/sql.ts `address_before`). */
export interface SavedAddresses extends Addresses {
  address_before: Addresses | null;
}

/** Tells the user's runs that may wait for an address that the profile changed; returns how many were told. */
export async function wakeAddressWaits(deps: Pick<DriverDeps, 'boss' | 'now'>, tx: SqlClient, userId: string): Promise<number> {
  const runs = await rows<{ id: string }>(tx, sql.runsAwaitingAddress(userId));
  const now = deps.now();
  const facts = runs.map((run): FactDelivery => ({ job: { runId: run.id, fact: { type: 'profileChanged', now } } }));
  await sendFacts(deps.boss, facts, { client: tx });
  return runs.length;
}
