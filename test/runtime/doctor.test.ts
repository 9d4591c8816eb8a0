/**
 * `herald doctor` against reality: the fake SendGrid, Twilio and FCM (each asked a harmless authenticated
 * question through its SDK), a real database, a real runtime behind HERALD_PUBLIC_URL. A good configuration
 * passes every check; a broken one fails the right checks, each with its fix, and never prints a secret.
 */
import { heraldBin } from '../../compiler/installation.ts';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../compiler/bundle/canonical.ts';
import type { Runtime } from '../../runtime/server.ts';
import { type FakeFcm, type FakeProvider, startFakeFcm, startFakeSendgrid, startFakeTwilio, writeTestServiceAccount } from '../fakes/providers.ts';
import { freshDatabase } from '../setup/database.ts';
import { API_KEY, exampleBundle, SIGNING_SECRET, startTestRuntime } from './harness.ts';
import { PARTITIONED_TABLES } from '../../runtime/db/partitions.ts';
import { openDatabase } from '../../runtime/db/pool.ts';
import { upgradeSchema } from '../../runtime/db/schema.ts';
import { migrate } from '../../runtime/db/migrate.ts';

const SENDGRID_KEY = 'SG.doctor-good-key';
const TWILIO_SID = 'AC00000000000000000000000000000d0c';
const TWILIO_TOKEN = 'doctor-good-token';

let sendgrid: FakeProvider;
let twilio: FakeProvider;
let fcm: FakeFcm;
let runtime: Runtime;
let bundlePath: string;
let good: NodeJS.ProcessEnv;

beforeAll(async () => {
  [sendgrid, twilio, fcm] = await Promise.all([
    startFakeSendgrid({ apiKey: SENDGRID_KEY }),
    startFakeTwilio({ accountSid: TWILIO_SID, authToken: TWILIO_TOKEN }),
    startFakeFcm(),
  ]);
  const bundle = await exampleBundle();
  bundlePath = join(mkdtempSync(join(tmpdir(), 'herald-doctor-')), 'bundle.json');
  writeFileSync(bundlePath, canonicalJson(bundle));
  const databaseUrl = await freshDatabase('doctor');
  runtime = await startTestRuntime('doctor', { databaseUrl, bundle });
  good = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    HERALD_API_KEY: API_KEY,
    HERALD_SIGNING_SECRET: SIGNING_SECRET,
    HERALD_PUBLIC_URL: runtime.url,
    SENDGRID_API_KEY: SENDGRID_KEY,
    SENDGRID_API_URL: sendgrid.url,
    SENDGRID_WEBHOOK_PUBLIC_KEY: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE',
    TWILIO_ACCOUNT_SID: TWILIO_SID,
    TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
    TWILIO_API_URL: twilio.url,
    FIREBASE_SERVICE_ACCOUNT: writeTestServiceAccount(fcm).path,
    FCM_API_URL: fcm.url,
  };
}, 120_000);

afterAll(async () => {
  await runtime?.stop();
  await Promise.all([sendgrid?.close(), twilio?.close(), fcm?.close()]);
});

interface Report {
  ok: boolean;
  checks: { name: string; ok: boolean; detail: string; fix?: string }[];
}
/** Runs `herald doctor` in a child process, asynchronously: the fakes and the runtime it asks live in this one. */
const doctor = (env: NodeJS.ProcessEnv, args: string[] = []) =>
  new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [heraldBin, 'doctor', '--bundle', bundlePath, ...args], { env, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
const report = async (env: NodeJS.ProcessEnv) => {
  const run = await doctor(env, ['--json']);
  return { status: run.status, report: JSON.parse(run.stdout) as Report, stderr: run.stderr };
};

describe('herald doctor', () => {
  it('passes every check of a good configuration, asking each provider whether it accepts the credentials', async () => {
    const { status, report: r, stderr } = await report(good);
    expect(
      r.checks.filter((c) => !c.ok),
      stderr,
    ).toEqual([]);
    expect(status).toBe(0);
    expect(r.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'configuration',
        'database',
        'clock',
        'migrations',
        'bundle',
        'provider sendgrid',
        'provider twilio',
        'provider fcm',
        'sendgrid webhook',
        'public url',
      ]),
    );
    expect(r.checks.find((c) => c.name === 'provider twilio')?.detail).toMatch(/active/);
    // Asked, not sent to: the fakes saw the account questions and no message.
    expect(sendgrid.requests.map((q) => `${q.method} ${q.path}`)).toEqual(['GET /v3/scopes']);
    expect(twilio.requests.map((q) => `${q.method} ${q.path}`)).toEqual([`GET /2010-04-01/Accounts/${TWILIO_SID}.json`]);
    const text = await doctor(good);
    expect(text.stdout).toMatch(/^ok {2}\s*configuration/m);
  });

  it('fails a broken configuration on the right checks, each with its fix, and prints no secret', async () => {
    const broken = {
      ...good,
      SENDGRID_API_KEY: 'SG.revoked-key-do-not-print',
      TWILIO_AUTH_TOKEN: 'wrong-token-do-not-print',
      SENDGRID_WEBHOOK_PUBLIC_KEY: '',
      HERALD_PUBLIC_URL: 'http://127.0.0.1:9',
      FIREBASE_SERVICE_ACCOUNT: '',
    };
    const { status, report: r } = await report(broken);
    expect(status).toBe(1);
    const failed = Object.fromEntries(r.checks.filter((c) => !c.ok).map((c) => [c.name, c]));
    expect(Object.keys(failed).sort()).toEqual(['provider sendgrid', 'provider twilio', 'public url', 'secrets of fcm', 'sendgrid webhook']);
    expect(failed['provider sendgrid']).toMatchObject({ detail: expect.stringMatching(/HTTP 401/), fix: expect.stringMatching(/SENDGRID_API_KEY/) });
    expect(failed['provider twilio']).toMatchObject({
      detail: expect.stringMatching(/401/),
      fix: expect.stringMatching(/TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN/),
    });
    expect(failed['secrets of fcm']).toMatchObject({
      detail: expect.stringMatching(/FIREBASE_SERVICE_ACCOUNT unset.*sandbox/),
      fix: 'set FIREBASE_SERVICE_ACCOUNT',
    });
    expect(failed['public url']).toMatchObject({ detail: expect.stringMatching(/not reachable/), fix: expect.any(String) });
    const text = await doctor(broken);
    expect(text.stdout).toMatch(/^FAIL {2}provider sendgrid/m);
    expect(text.stdout).toMatch(/fix: /);
    for (const secret of ['SG.revoked-key-do-not-print', 'wrong-token-do-not-print', SIGNING_SECRET, API_KEY])
      expect(text.stdout + text.stderr).not.toContain(secret);
  });

  it('checks the logs have their days ahead: partitioned without tomorrow is a failure that says what to run', async () => {
    const partitionsOf = async (env = good) => (await report(env)).report.checks.find((c) => c.name === 'partitions');
    // The runtime started on this database made them.
    expect(await partitionsOf()).toMatchObject({ ok: true, detail: expect.stringMatching(/^by day, made up to \d{4}-\d\d-\d\d$/) });
    const db = openDatabase(good.DATABASE_URL!, { max: 1 });
    try {
      // The maintenance has not run for a day: tomorrow is missing.
      const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
      for (const { table } of PARTITIONED_TABLES) await db.query(`DROP TABLE herald.${table}_p${tomorrow}`);
      expect(await partitionsOf()).toMatchObject({
        ok: false,
        detail: expect.stringMatching(/no partition for tomorrow in herald\.messages/),
        fix: expect.stringMatching(/herald migrate/),
      });
      // herald migrate (the same upgrade a start runs) makes the missing day again.
      await upgradeSchema(db);
      expect(await partitionsOf()).toMatchObject({ ok: true });
    } finally {
      await db.close();
    }
    // A database of the previous release, not partitioned yet, is no fault: the next start does it.
    const previous = openDatabase(await freshDatabase('doctor-previous'), { max: 1 });
    try {
      await migrate(previous);
      expect(await partitionsOf({ ...good, DATABASE_URL: previous.url })).toMatchObject({
        ok: true,
        detail: expect.stringMatching(/not partitioned by day yet/),
      });
    } finally {
      await previous.close();
    }
  });

  it('says what is missing without a database or a bundle', async () => {
    const { status, report: r } = await report({ PATH: process.env.PATH, NODE_ENV: 'production' });
    expect(status).toBe(1);
    expect(r.checks.find((c) => c.name === 'database')).toMatchObject({ ok: false, fix: expect.stringMatching(/DATABASE_URL/) });
    expect(r.checks.find((c) => c.name === 'configuration')).toMatchObject({ ok: false });
  });
});
