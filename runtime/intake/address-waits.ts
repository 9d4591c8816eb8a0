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

/** The address fields of a profile change, as each door names them. */
export interface AddressChange {
  email?: string | null | undefined;
  phone_number?: string | null | undefined;
  push_tokens?: readonly string[] | undefined;
}

/** Whether the change sets somewhere to send (clearing an address, or a trait, wakes no one). */
export function bringsAddress(change: AddressChange): boolean {
  return !!change.email || !!change.phone_number || (change.push_tokens?.length ?? 0) > 0;
}

/** Tells the user's runs that may wait for an address that the profile changed; returns how many were told. */
export async function wakeAddressWaits(deps: Pick<DriverDeps, 'boss' | 'now'>, tx: SqlClient, userId: string): Promise<number> {
  const runs = await rows<{ id: string }>(tx, sql.runsAwaitingAddress(userId));
  const now = deps.now();
  const facts = runs.map((run): FactDelivery => ({ job: { runId: run.id, fact: { type: 'profileChanged', now } } }));
  await sendFacts(deps.boss, facts, { client: tx });
  return runs.length;
}
