/**
 * One meaning, twice: an audience's SQL (runtime/audiences/sql.ts) selects exactly the profiles the in-memory
 * evaluator (compiler/bundle/audience-match.ts) accepts — over a few thousand generated profiles and hundreds of
 * generated conditions, on the real PostgreSQL with every migration applied. The seed is printed; set
 * AUDIENCE_SEED to replay a failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AudienceCondition } from '../../compiler/bundle/audience.ts';
import { type AudienceProfile, matchesAudience } from '../../compiler/bundle/audience-match.ts';
import { audienceCount, audienceMemberPage, audienceSample } from '../../runtime/audiences/index.ts';
import { memberPageStatement } from '../../runtime/audiences/sql.ts';
import { migrate } from '../../runtime/db/migrate.ts';
import { type Database, openDatabase } from '../../runtime/db/pool.ts';
import { freshDatabase } from '../setup/database.ts';
import { generateCondition, generateProfiles, LISTS, NOW, prng } from './generate.ts';

const SEED = Number(process.env.AUDIENCE_SEED ?? Math.floor(Math.random() * 2 ** 31));
const PROFILES = 3000;
const CONDITIONS = 400;
const now = new Date(NOW);

let db: Database;
let profiles: AudienceProfile[];

/** Byte order, as COLLATE "C" sorts (the ids are ASCII, where UTF-16 order is byte order). */
const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const expected = (condition: AudienceCondition) =>
  profiles
    .filter((p) => matchesAudience(condition, p, NOW))
    .map((p) => p.id)
    .sort(byteOrder);

async function insertProfiles(rows: AudienceProfile[]): Promise<void> {
  const users = rows.map((p) => ({
    id: p.id,
    email: p.email,
    phone_number: p.phone_number,
    locale: p.locale,
    timezone: p.timezone,
    traits: p.traits,
    created_at: p.createdAt === null ? null : new Date(p.createdAt).toISOString(),
    last_active_at: p.lastActiveAt === null ? null : new Date(p.lastActiveAt).toISOString(),
  }));
  await db.query(
    `INSERT INTO herald.users (id, email, phone_number, locale, timezone, traits, created_at, last_active_at)
     SELECT id, email, phone_number, locale, timezone, traits, created_at, last_active_at
     FROM jsonb_to_recordset($1::jsonb) AS x(id text, email text, phone_number text, locale text, timezone text, traits jsonb, created_at timestamptz, last_active_at timestamptz)`,
    [JSON.stringify(users)],
  );
  const preferences = rows.flatMap((p) =>
    Object.entries(p.preferences).flatMap(([category, channels]) =>
      Object.entries(channels).map(([channel, allowed]) => ({ user_id: p.id, category, channel, allowed })),
    ),
  );
  await db.query(
    `INSERT INTO herald.preferences (user_id, category, channel, allowed)
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(user_id text, category text, channel text, allowed boolean)`,
    [JSON.stringify(preferences)],
  );
  await db.query('INSERT INTO herald.lists (id) SELECT unnest($1::text[])', [[...LISTS]]);
  const members = rows.flatMap((p) => p.lists.map((list) => ({ list_id: list, user_id: p.id })));
  await db.query('INSERT INTO herald.list_members (list_id, user_id) SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(list_id text, user_id text)', [
    JSON.stringify(members),
  ]);
  await db.query('ANALYZE herald.users');
}

beforeAll(async () => {
  console.log(`audience property test: AUDIENCE_SEED=${SEED}`);
  db = openDatabase(await freshDatabase('audiences_sql'), { max: 4 });
  await migrate(db);
  profiles = generateProfiles(prng(SEED), PROFILES);
  await insertProfiles(profiles);
});
afterAll(async () => {
  await db?.close();
});

describe('audience SQL = in-memory meaning', () => {
  it(`selects exactly the profiles the evaluator accepts, over ${CONDITIONS} random conditions (seed printed)`, async () => {
    const r = prng(SEED ^ 0x5eed);
    let nonTrivial = 0;
    for (let i = 0; i < CONDITIONS; i++) {
      const condition = generateCondition(r);
      const want = expected(condition);
      const got = await audienceMemberPage(db, condition, null, PROFILES + 1, { now });
      if (got.join() !== want.join()) {
        // The whole story for a reproduction: the condition, its SQL, and the first rows that disagree.
        const extra = got.filter((id) => !want.includes(id)).slice(0, 3);
        const missing = want.filter((id) => !got.includes(id)).slice(0, 3);
        const show = (id: string) => JSON.stringify(profiles.find((p) => p.id === id));
        expect.fail(
          `seed ${SEED}, condition ${i}: ${JSON.stringify(condition)}\nSQL: ${memberPageStatement(condition, null, 1, { now }).text}\n` +
            `in SQL only: ${extra.map(show).join('\n')}\nin memory only: ${missing.map(show).join('\n')}`,
        );
      }
      if (want.length > 0 && want.length < PROFILES) nonTrivial++;
    }
    // The generator must produce conditions that split the profiles, or the equality proves little.
    expect(nonTrivial).toBeGreaterThan(CONDITIONS / 2);
  });

  it('reads an audience page by page after a cursor, in byte order, without skipping or repeating', async () => {
    const r = prng(SEED ^ 0xbeef);
    for (let i = 0; i < 10; i++) {
      const condition = generateCondition(r);
      const pages: string[] = [];
      let after: string | null = null;
      for (;;) {
        const page: string[] = await audienceMemberPage(db, condition, after, 97, { now });
        pages.push(...page);
        if (page.length < 97) break;
        after = page.at(-1)!;
      }
      expect(pages).toEqual(expected(condition));
      expect(await audienceCount(db, condition, { now })).toBe(pages.length);
    }
  });

  it('counts and samples', async () => {
    const condition: AudienceCondition = {
      op: 'and',
      all: [
        { op: 'trait', name: 'plan', cmp: 'eq', value: 'free' },
        { op: 'field', name: 'locale', cmp: 'startsWith', value: 'fr' },
      ],
    };
    const want = expected(condition);
    expect(want.length).toBeGreaterThan(0);
    expect(await audienceCount(db, condition, { now })).toBe(want.length);
    const sample = await audienceSample(db, condition, 5, { now });
    expect(sample.map((s) => s.id)).toEqual(want.slice(0, 5));
    expect(sample[0]!.email).toBe(profiles.find((p) => p.id === want[0])!.email);
  });

  it('puts values in parameters, never in the text, and uses the indexes', async () => {
    const condition: AudienceCondition = {
      op: 'and',
      all: [
        { op: 'trait', name: "pl'an", cmp: 'eq', value: "free'; DROP TABLE herald.users; --" },
        { op: 'field', name: 'locale', cmp: 'startsWith', value: "fr'" },
      ],
    };
    const statement = memberPageStatement(condition, "u'1", 10);
    expect(statement.text).not.toContain("'fr");
    expect(statement.text).not.toContain('DROP');
    expect(await audienceMemberPage(db, condition, "u'1", 10)).toEqual([]);
    // Planner choices on a few thousand rows: force index use to show the forms can use them at all.
    const plan = await db.transaction(async (tx) => {
      await tx.query('SET LOCAL enable_seqscan = off');
      const trait = memberPageStatement({ op: 'trait', name: 'plan', cmp: 'eq', value: 'free' }, null, 10);
      const prefix = memberPageStatement({ op: 'field', name: 'locale', cmp: 'startsWith', value: 'fr' }, null, 10);
      const explain = async (s: { text: string; values: unknown[] }) =>
        JSON.stringify((await tx.query(`EXPLAIN (FORMAT JSON) ${s.text.replace(/ ORDER BY .*$/, '')}`, s.values.slice(0, -1))).rows);
      return { trait: await explain(trait), prefix: await explain(prefix) };
    });
    expect(plan.trait).toContain('users_traits_path');
    expect(plan.prefix).toContain('users_locale_pattern');
  });
});
