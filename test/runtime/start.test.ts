/** `herald start` as an operator runs it: a real process that says where to look and drains on SIGTERM. */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { canonicalJson } from '../../compiler/bundle/canonical.ts';
import { freshDatabase } from '../setup/database.ts';
import { eventually, exampleBundle } from './harness.ts';

const bin = fileURLToPath(new URL('../../compiler/cli/herald.js', import.meta.url));
const START_KEY = 'start-key-0123456789-0123456789-0123456789';
const START_SECRET = 'start-signing-secret-0123456789-0123456789';

it('starts, prints the URL, key and a trigger example, and exits 0 on SIGTERM', async () => {
  const bundlePath = join(mkdtempSync(join(tmpdir(), 'herald-start-')), 'bundle.json');
  writeFileSync(bundlePath, canonicalJson(await exampleBundle()));
  const child = spawn(process.execPath, [bin, 'start', '--bundle', bundlePath], {
    env: { ...process.env, DATABASE_URL: await freshDatabase('start'), PORT: '0', HERALD_API_KEY: START_KEY, HERALD_SIGNING_SECRET: START_SECRET },
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const url = await eventually('the banner', async () => /API\s+(http:\/\/localhost:\d+)/.exec(out)?.[1], 30_000);
  // A key the operator set is a secret: named, never printed.
  expect(out).toContain('API key    from HERALD_API_KEY (not shown)');
  expect(out).not.toContain(START_KEY);
  // The curls try the bundle's fullest workflow with its event's first example; the printed trigger is accepted as is.
  expect(out).toContain('Try the cart-recovery flow:');
  const printed = /v1\/events .* -d '(.+)'$/m.exec(out)?.[1];
  expect(JSON.parse(printed ?? 'null')).toMatchObject({ event: 'cart_abandoned', userId: 'ada', properties: { cart_id: 'cart_77' } });
  const headers = { authorization: `Bearer ${START_KEY}`, 'content-type': 'application/json' };
  expect((await fetch(`${url}/v1/users/ada`, { method: 'PUT', headers, body: JSON.stringify({ email: 'ada@example.com' }) })).status).toBe(200);
  expect((await fetch(`${url}/v1/events`, { method: 'POST', headers, body: printed! })).status).toBe(202);
  expect((await fetch(`${url}/readyz`)).status).toBe(200);
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  expect(await exit).toBe(0);
}, 60_000);

it('exits 2 with a clear message when the bundle is missing', async () => {
  const child = spawn(process.execPath, [bin, 'start', '--bundle', '/nonexistent/bundle.json'], {
    env: { ...process.env, DATABASE_URL: await freshDatabase('start_missing'), PORT: '0', HERALD_API_KEY: START_KEY, HERALD_SIGNING_SECRET: START_SECRET },
  });
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  expect(code).toBe(2);
  expect(err).toContain('cannot read bundle "/nonexistent/bundle.json": run `npx herald build` first');
}, 30_000);
