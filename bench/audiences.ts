/**
 * An audience count over 1,000,000 generated profiles (`npm run bench -- --only audiences`; 100,000 with --quick):
 * several audience shapes counted by the one query runtime/audiences/sql.ts writes, and, in the same run on the
 * same table, a baseline — a plain count(*) of herald.users — so a shared machine's slow moment shows in both.
 * Profiles are made by generate_series in SQL (seconds, not minutes), with the 0008 indexes built after the
 * load, as CREATE INDEX on a full table is much faster than keeping them up row by row. Target: < 1 s a count.
 */
import type { AudienceCondition } from '../compiler/bundle/audience.ts';
import { audienceCount } from '../runtime/audiences/index.ts';
import { migrate } from '../runtime/db/migrate.ts';
import { sql as audienceIndexes } from '../runtime/db/migrations/0008-audiences.ts';
import { openDatabase } from '../runtime/db/pool.ts';
import { createDatabase, dropDatabase } from './setup.ts';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const SHAPES: Record<string, AudienceCondition> = {
  'trait plan = free': { op: 'trait', name: 'plan', cmp: 'eq', value: 'free' },
  'eu-free-plan (plan free, locale fr…, not opted out of promotions email)': {
    op: 'and',
    all: [
      { op: 'trait', name: 'plan', cmp: 'eq', value: 'free' },
      { op: 'field', name: 'locale', cmp: 'startsWith', value: 'fr' },
      { op: 'not', cond: { op: 'preference', category: 'promotions', channel: 'email', allowed: false } },
    ],
  },
  'active within 7d': { op: 'activeWithin', durationMs: 7 * 86_400_000 },
  'team plan with 40+ seats, or in a list': {
    op: 'or',
    any: [
      {
        op: 'and',
        all: [
          { op: 'trait', name: 'plan', cmp: 'eq', value: 'team' },
          { op: 'trait', name: 'seats', cmp: 'gte', value: 40 },
        ],
      },
      { op: 'inList', list: 'project:1:watchers' },
    ],
  },
};

export interface AudienceBench {
  profiles: number;
  loadMs: number;
  indexMs: number;
  /** count(*) of herald.users, median ms. */
  baselineCountMs: number;
  shapes: { shape: string; count: number; medianMs: number; maxMs: number }[];
  target: string;
}

const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const started = performance.now();
  const value = await fn();
  return [value, Math.round((performance.now() - started) * 10) / 10];
};

export async function benchAudiences(admin: string, options: { quick: boolean }): Promise<AudienceBench> {
  const profiles = options.quick ? 100_000 : 1_000_000;
  const name = 'herald_bench_audiences';
  const db = openDatabase(await createDatabase(admin, name), { max: 2 });
  try {
    await migrate(db);
    // The indexes are built after the load (see the module comment), by the migration's own text.
    for (const name of ['users_traits_path', 'users_locale_pattern', 'users_timezone', 'users_last_active', 'users_created', 'users_id_bytes']) {
      await db.query(`DROP INDEX IF EXISTS herald.${name}`);
    }
    const [, loadMs] = await timed(async () => {
      await db.query(
        `INSERT INTO herald.users (id, email, locale, timezone, traits, last_active_at, created_at)
         SELECT 'u' || lpad(g::text, 8, '0'), 'user' || g || '@example.com',
                (ARRAY['fr','fr-FR','en-US','de-DE','es-ES','it-IT','pt-BR','en-GB','ja-JP','fr-CA'])[1 + g % 10],
                (ARRAY['Europe/Paris','America/New_York','Asia/Tokyo','UTC'])[1 + g % 4],
                jsonb_build_object('plan', (ARRAY['free','pro','team'])[1 + (g * 7) % 3], 'seats', g % 50, 'company', 'c' || (g % 1000)),
                now() - ((g::bigint * 7919) % 129600) * interval '1 minute',
                now() - (g % 700) * interval '1 day'
         FROM generate_series(1, $1::int) g`,
        [profiles],
      );
      // One user in 20 turned promotional email off; one in 100 watches project 1.
      await db.query(
        `INSERT INTO herald.preferences (user_id, category, channel, allowed)
         SELECT 'u' || lpad(g::text, 8, '0'), 'promotions', 'email', false FROM generate_series(1, $1::int, 20) g`,
        [profiles],
      );
      await db.query(`INSERT INTO herald.lists (id) VALUES ('project:1:watchers')`);
      await db.query(
        `INSERT INTO herald.list_members (list_id, user_id) SELECT 'project:1:watchers', 'u' || lpad(g::text, 8, '0') FROM generate_series(1, $1::int, 100) g`,
        [profiles],
      );
    });
    const [, indexMs] = await timed(async () => {
      await db.query(audienceIndexes);
      await db.query('VACUUM ANALYZE herald.users');
      await db.query('ANALYZE herald.preferences');
      await db.query('ANALYZE herald.list_members');
    });
    const runs = options.quick ? 3 : 5;
    const baseline: number[] = [];
    const shapes: AudienceBench['shapes'] = [];
    for (const [shape, condition] of Object.entries(SHAPES)) {
      const times: number[] = [];
      let count = 0;
      for (let i = 0; i < runs; i++) {
        const [n, ms] = await timed(() => audienceCount(db, condition));
        count = n;
        times.push(ms);
        baseline.push((await timed(() => db.query('SELECT count(*) FROM herald.users')))[1]);
      }
      shapes.push({ shape, count, medianMs: median(times), maxMs: Math.max(...times) });
    }
    return { profiles, loadMs, indexMs, baselineCountMs: median(baseline), shapes, target: '< 1000 ms a count at 1,000,000 profiles' };
  } finally {
    await db.close();
    await dropDatabase(admin, name);
  }
}
