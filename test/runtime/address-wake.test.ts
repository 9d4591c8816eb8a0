/**
 * What wakes a user's sends that wait for an address (runtime/intake/address-waits.ts): only a profile change
 * that gives somewhere new to send. The users table's upserts report the addresses they replaced
 * (`address_before`, read by the statement itself), against a real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../runtime/db/pool.ts';
import { upgradeSchema } from '../../runtime/db/schema.ts';
import { one } from '../../runtime/db/sql-client.ts';
import * as sql from '../../runtime/db/sql.ts';
import { gainedAddress, type SavedAddresses } from '../../runtime/intake/address-waits.ts';
import { freshDatabase } from '../setup/database.ts';

let db: Database;
beforeAll(async () => {
  db = openDatabase(await freshDatabase('address_wake'), { max: 2 });
  await upgradeSchema(db);
});
afterAll(() => db.close());

const upsert = async (id: string, patch: sql.ProfilePatch) => (await one<SavedAddresses>(db, sql.upsertUser(id, patch)))!;
const replace = async (id: string, email: string | null) =>
  (await one<SavedAddresses>(db, sql.replaceUser(id, { email, phone_number: null, locale: null, timezone: null, traits: {} })))!;
const woken = (saved: SavedAddresses) => gainedAddress(saved.address_before, saved);

describe('a profile upsert', () => {
  it('wakes on a first address, not on the same one again, and again on a new one', async () => {
    expect(woken(await upsert('u1', { traits: { plan: 'free' } }))).toBe(false);
    expect(woken(await upsert('u1', { email: 'u1@example.com' }))).toBe(true);
    const again = await upsert('u1', { email: 'u1@example.com', traits: { plan: 'pro' } });
    expect(again.address_before).toEqual({ email: 'u1@example.com', phone_number: null, push_tokens: [] });
    expect(woken(again)).toBe(false);
    expect(woken(await upsert('u1', { phone_number: '+15555550100' }))).toBe(true);
    expect(woken(await upsert('u1', { email: 'u1.new@example.com' }))).toBe(true);
    expect(woken(await upsert('u1', { email: null }))).toBe(false);
  });

  it('wakes on a new user created with an address, and on a push token the profile did not hold', async () => {
    const created = await upsert('u2', { push_tokens: ['t1'] });
    expect(created.address_before).toBeNull();
    expect(woken(created)).toBe(true);
    expect(woken(await upsert('u2', { push_tokens: ['t1'] }))).toBe(false);
    expect(woken(await upsert('u2', { push_tokens: ['t1', 't2'] }))).toBe(true);
  });

  it("Courier's replace reports what it replaced too", async () => {
    expect(woken(await replace('u3', 'u3@example.com'))).toBe(true);
    expect(woken(await replace('u3', 'u3@example.com'))).toBe(false);
  });
});
