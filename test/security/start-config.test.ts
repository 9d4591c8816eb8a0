/**
 * Safe defaults: `herald start` refuses what would leave an internet-facing runtime open (no key, an empty,
 * short or blank key, no signing secret, the embedded database in production), and listens on 127.0.0.1
 * only. Real `herald start` processes; readConfig and HERALD_API_KEYS parsing as units beside them. Before
 * the change (9687a25) every refused start here started, on the public development key.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, DEV_API_KEY, readConfig } from '../../runtime/config.ts';
import { parseApiKeys } from '../../runtime/http/api-keys.ts';
import { exampleBundle, shorten } from '../runtime/harness.ts';
import { freshDatabase } from '../setup/database.ts';
import { HERALD_BIN, spawnRuntime, writeBundleFile } from '../setup/runtime-process.ts';

const KEY = 'start-config-key-0123456789-0123456789';
const SECRET = 'start-config-secret-0123456789-0123456789';

let bundlePath: string;
let databaseUrl: string;
const scratch = mkdtempSync(join(tmpdir(), 'herald-start-config-'));

beforeAll(async () => {
  bundlePath = writeBundleFile(shorten(await exampleBundle()), scratch);
  databaseUrl = await freshDatabase('start_config');
}, 60_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type Outcome = { started: false; code: number | null; output: string } | { started: true; output: string };

/**
 * `herald start` with exactly `env` (and PATH, HOME): how it exited, or that it started. A process that starts
 * is stopped at once (SIGTERM, so that anything it started stops with it).
 */
function start(env: Record<string, string>): Promise<Outcome> {
  const child = spawn(process.execPath, [HERALD_BIN, 'start', '--bundle', bundlePath], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/API\s+http:\/\//.test(output)) {
        child.kill('SIGTERM');
        const force = setTimeout(() => child.kill('SIGKILL'), 20_000);
        void exited.then(() => {
          clearTimeout(force);
          resolve({ started: true, output });
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => resolve({ started: false, code, output }));
  });
}

async function refused(env: Record<string, string>, message: RegExp) {
  const outcome = await start(env);
  expect(outcome, outcome.output).toMatchObject({ started: false, code: 2 });
  expect(outcome.output).toMatch(message);
  // Refused before any secret could be echoed.
  for (const value of Object.values(env)) if (value.length >= 16) expect(outcome.output).not.toContain(value);
}

describe('herald start refuses insecure settings', { timeout: 60_000 }, () => {
  it('no HERALD_API_KEY on DATABASE_URL: exit 2, naming it and what to set', async () => {
    await refused(
      { DATABASE_URL: databaseUrl, HERALD_SIGNING_SECRET: SECRET },
      /HERALD_API_KEY is not set: set it \(or HERALD_API_KEYS\) to a random key of at least 32 characters/,
    );
  });

  it('an empty HERALD_API_KEY', async () => {
    await refused({ DATABASE_URL: databaseUrl, HERALD_API_KEY: '', HERALD_SIGNING_SECRET: SECRET }, /HERALD_API_KEY is empty/);
  });

  it('a key of 31 characters, naming 32', async () => {
    await refused(
      { DATABASE_URL: databaseUrl, HERALD_API_KEY: KEY.slice(0, 31), HERALD_SIGNING_SECRET: SECRET },
      /HERALD_API_KEY is 31 characters: use at least 32/,
    );
  });

  it('a key with a non-breaking space, or a space', async () => {
    for (const key of [`${KEY}\u00a0x`, `${KEY} x`]) {
      await refused(
        { DATABASE_URL: databaseUrl, HERALD_API_KEY: key, HERALD_SIGNING_SECRET: SECRET },
        /HERALD_API_KEY has spaces or characters outside visible ASCII/,
      );
    }
  });

  it('no HERALD_SIGNING_SECRET', async () => {
    await refused({ DATABASE_URL: databaseUrl, HERALD_API_KEY: KEY }, /HERALD_SIGNING_SECRET is not set/);
  });

  it('NODE_ENV=production on the embedded database', async () => {
    await refused({ NODE_ENV: 'production', HERALD_DATA_DIR: join(scratch, 'embedded') }, /HERALD_API_KEY is not set/);
  });
});

describe('herald start with a key and a secret', () => {
  let runtime: Awaited<ReturnType<typeof spawnRuntime>> | undefined;
  afterAll(async () => {
    await runtime?.stop();
  });

  it('starts, and listens on 127.0.0.1 only', { timeout: 60_000 }, async () => {
    runtime = await spawnRuntime({ bundlePath, databaseUrl, apiKey: KEY, env: { HERALD_SIGNING_SECRET: SECRET } });
    const port = Number(new URL(runtime.url).port);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect(runtime.output.join('')).not.toContain(KEY);

    const outside = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    // A machine with no address but loopback has nothing else to be reached on.
    if (outside) {
      const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
        const socket = connect(port, outside);
        socket.once('connect', () => {
          socket.destroy();
          resolve(null);
        });
        socket.once('error', resolve);
      });
      expect(error?.code, `connecting to ${outside}:${port}`).toBe('ECONNREFUSED');
    }
  });
});

describe('readConfig in development', () => {
  it('on the embedded database at loopback: the development key, and a signing secret kept (mode 600) and reused', () => {
    const dataDir = mkdtempSync(join(scratch, 'dev-'));
    const config = readConfig({ HERALD_DATA_DIR: dataDir });
    expect(config.mode).toBe('development');
    expect(config.apiKeyIsDefault).toBe(true);
    expect(config.apiKeys.map((k) => k.secret)).toEqual([DEV_API_KEY]);
    const file = join(dataDir, 'signing-secret');
    expect(readFileSync(file, 'utf8').trim()).toBe(config.signingSecret);
    expect(config.signingSecret.length).toBeGreaterThanOrEqual(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readConfig({ HERALD_DATA_DIR: dataDir }).signingSecret).toBe(config.signingSecret);
  });

  it('off loopback, or in production, it is not development', () => {
    const dataDir = mkdtempSync(join(scratch, 'prod-'));
    expect(() => readConfig({ HERALD_DATA_DIR: dataDir, HERALD_HOST: '0.0.0.0' })).toThrow(ConfigError);
    expect(() => readConfig({ HERALD_DATA_DIR: dataDir, NODE_ENV: 'production' })).toThrow(/HERALD_API_KEY is not set/);
  });

  it('`development: true` (herald dev) allows the development key on DATABASE_URL', () => {
    const dataDir = mkdtempSync(join(scratch, 'dev-url-'));
    const env = { DATABASE_URL: 'postgres://localhost/x', HERALD_DATA_DIR: dataDir };
    expect(() => readConfig(env)).toThrow(/HERALD_API_KEY is not set/);
    const config = readConfig(env, { development: true });
    expect(config).toMatchObject({ mode: 'development', apiKeyIsDefault: true, databaseUrl: 'postgres://localhost/x' });
  });
});

describe('HERALD_API_KEYS', () => {
  const a = 'a'.repeat(32);
  const b = 'b'.repeat(32);

  it('takes name:scope:key entries, several scopes joined with +', () => {
    const keys = parseApiKeys(KEY, `app-server:trigger:${a},ci:trigger+read:${b}`, 32);
    expect(keys.map((k) => ({ name: k.name, scopes: [...k.scopes].sort(), secret: k.secret }))).toEqual([
      { name: 'default', scopes: ['admin'], secret: KEY },
      { name: 'app-server', scopes: ['trigger'], secret: a },
      { name: 'ci', scopes: ['read', 'trigger'], secret: b },
    ]);
    // Without HERALD_API_KEY, the list alone is enough to start outside development.
    const config = readConfig({ DATABASE_URL: 'postgres://localhost/x', HERALD_API_KEYS: `ops:admin:${a}`, HERALD_SIGNING_SECRET: SECRET });
    expect(config).toMatchObject({ mode: 'production', apiKey: a, apiKeyIsDefault: false });
  });

  it('refuses a bad entry, naming it', () => {
    expect(() => parseApiKeys(undefined, `app:trigger:${a},x:writer:${b}`, 32)).toThrow(/HERALD_API_KEYS entry 2 \(x\): unknown scope "writer"/);
    expect(() => parseApiKeys(undefined, `app:trigger:${a},nokey`, 32)).toThrow(/HERALD_API_KEYS entry 2: expected name:scope:key/);
    expect(() => parseApiKeys(undefined, `app:trigger:${a},app:read:${b}`, 32)).toThrow(/HERALD_API_KEYS entry 2 \(app\): the key name "app" is used twice/);
    expect(() => parseApiKeys(undefined, `app:trigger:${a},ci:read:${a}`, 32)).toThrow(/HERALD_API_KEYS entry 2 \(ci\): key "ci" has the same secret as "app"/);
    expect(() => parseApiKeys(undefined, `app:trigger:short`, 32)).toThrow(/HERALD_API_KEYS entry 1 \(app\) is 5 characters: use at least 32/);
    expect(() => readConfig({ DATABASE_URL: 'postgres://localhost/x', HERALD_API_KEYS: `x:writer:${b}`, HERALD_SIGNING_SECRET: SECRET })).toThrow(ConfigError);
  });
});
