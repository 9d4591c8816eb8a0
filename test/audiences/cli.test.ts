/**
 * `herald audiences preview ID` against the test database: builds the example notifications/, counts the audience
 * in the users there and prints a sample with emails masked; `--bundle` reads a compiled bundle instead, `--json`
 * answers machines; an unknown id or a missing database is a usage error (exit 2).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProject } from '../../compiler/build.ts';
import { sealBundle } from '../../compiler/bundle/canonical.ts';
import { heraldBin } from '../../compiler/installation.ts';
import { migrate } from '../../runtime/db/migrate.ts';
import { openDatabase } from '../../runtime/db/pool.ts';
import { freshDatabase } from '../setup/database.ts';

let url: string;
const herald = (args: string[], env: Record<string, string>) =>
  spawnSync(process.execPath, [heraldBin, 'audiences', 'preview', ...args], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 120_000 });

beforeAll(async () => {
  url = await freshDatabase('audiences_cli');
  const db = openDatabase(url, { max: 1 });
  try {
    await migrate(db);
    // eu-free-plan: plan free, locale fr…, promotions email not turned off. Three of these five are in it.
    await db.query(`INSERT INTO herald.users (id, email, locale, traits) VALUES
      ('u1', 'ada@example.com', 'fr-FR', '{"plan":"free"}'),
      ('u2', 'bob@example.com', 'fr', '{"plan":"free"}'),
      ('u3', NULL, 'fr-CA', '{"plan":"free"}'),
      ('u4', 'dee@example.com', 'en-US', '{"plan":"free"}'),
      ('u5', 'eve@example.com', 'fr', '{"plan":"pro"}'),
      ('u6', 'fay@example.com', 'fr', '{"plan":"free"}')`);
    await db.query(`INSERT INTO herald.preferences (user_id, category, channel, allowed) VALUES ('u6', 'promotions', 'email', false)`);
  } finally {
    await db.close();
  }
}, 120_000);

describe('herald audiences preview', () => {
  it('builds notifications/, counts the audience and shows a masked sample', () => {
    const run = herald(['eu-free-plan', '--sample', '2'], { DATABASE_READ_URL: url });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(
      [
        'audience eu-free-plan — Free plan, French-speaking, promotions email not turned off',
        '3 users',
        'sample (first 2 by id):',
        '  u1  a**@example.com',
        '  u2  b**@example.com',
        '',
      ].join('\n'),
    );
  }, 120_000);

  it('reads a compiled bundle with --bundle, answers --json, refuses an unknown audience or no database; herald diff --reach sizes changed audiences', async () => {
    const built = await buildProject('notifications', { skipTypeCheck: true });
    const file = join(mkdtempSync(join(tmpdir(), 'herald-audiences-')), 'bundle.json');
    writeFileSync(file, JSON.stringify(built.bundle));
    const json = herald(['eu-free-plan', '--bundle', file, '--json'], { DATABASE_URL: url });
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      audience: 'eu-free-plan',
      count: 3,
      sample: [{ id: 'u1' }, { id: 'u2' }, { id: 'u3', email: '(no email)' }],
    });

    const unknown = herald(['eu-free-plans', '--bundle', file], { DATABASE_URL: url });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('no audience "eu-free-plans"; did you mean "eu-free-plan"?');
    const noDatabase = herald(['eu-free-plan', '--bundle', file], {});
    expect(noDatabase.status).toBe(2);
    expect(noDatabase.stderr).toContain('needs DATABASE_READ_URL or DATABASE_URL');

    // herald diff --reach: the base had no preference clause (4 users), the head excludes the one opted out (3).
    const { version: _version, ...content } = built.bundle!;
    const euFree = content.audiences!['eu-free-plan']!;
    const looser = {
      ...euFree,
      condition: {
        op: 'and' as const,
        all: [
          { op: 'trait' as const, name: 'plan', cmp: 'eq' as const, value: 'free' },
          { op: 'field' as const, name: 'locale' as const, cmp: 'startsWith' as const, value: 'fr' },
        ],
      },
    };
    const baseFile = join(mkdtempSync(join(tmpdir(), 'herald-audiences-')), 'base.json');
    writeFileSync(
      baseFile,
      JSON.stringify(
        sealBundle({
          ...content,
          audiences: { 'eu-free-plan': looser, 'fr-only': { condition: { op: 'field', name: 'locale', cmp: 'startsWith', value: 'fr' } } },
        }),
      ),
    );
    const diff = spawnSync(process.execPath, [heraldBin, 'diff', baseFile, file, '--reach'], {
      env: { PATH: process.env.PATH, DATABASE_READ_URL: url },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(diff.stderr).toBe('');
    expect(diff.stdout).toContain('### Audiences');
    expect(diff.stdout).toContain('Reach: 3 users, -1');
    expect(diff.stdout).toContain(
      '- condition `trait plan = "free" and locale starts with "fr"` → `trait plan = "free" and locale starts with "fr" and not opted out of promotions on email`',
    );
    expect(diff.stdout).toContain('`fr-only`: `locale starts with "fr"`');
    const noReplica = spawnSync(process.execPath, [heraldBin, 'diff', baseFile, file, '--reach'], {
      env: { PATH: process.env.PATH, DATABASE_URL: url },
      encoding: 'utf8',
    });
    expect(noReplica.status).toBe(2);
    expect(noReplica.stderr).toContain('--reach needs DATABASE_READ_URL');
  }, 120_000);
});
