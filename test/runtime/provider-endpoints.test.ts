/**
 * The runtime applies the compiler's endpoint rule again when a bundle goes live: a bundle whose provider
 * sends to plain http off this machine (built by an older compiler, or edited by hand) is refused at
 * start, with what, which provider and how to fix it; a loopback http endpoint (a local fake) starts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { canonicalJson, sealBundle } from '../../compiler/bundle/canonical.ts';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import { freshDatabase } from '../setup/database.ts';
import { exampleBundle } from './harness.ts';

const bin = fileURLToPath(new URL('../../compiler/cli/herald.js', import.meta.url));

/** The example bundle with its email provider's API at `apiUrl`, resealed under its new version. */
async function bundleWithApiUrl(apiUrl: string): Promise<string> {
  const { version: _version, formatVersion: _format, ...content } = await exampleBundle();
  const providers: Bundle['providers'] = {};
  for (const [id, provider] of Object.entries(content.providers)) {
    providers[id] = provider.channel === 'email' ? { ...provider, options: { ...provider.options, apiUrl } } : provider;
  }
  const path = join(mkdtempSync(join(tmpdir(), 'herald-endpoint-')), 'bundle.json');
  writeFileSync(path, canonicalJson(sealBundle({ ...content, providers })));
  return path;
}

function start(bundlePath: string, database: string): Promise<{ code: number | null; err: string }> {
  const child = spawn(process.execPath, [bin, 'start', '--bundle', bundlePath], {
    env: {
      ...process.env,
      DATABASE_URL: database,
      PORT: '0',
      HERALD_API_KEY: 'endpoint-test-key'.padEnd(40, '0'),
      HERALD_SIGNING_SECRET: 'endpoint-test-signing'.padEnd(40, '0'),
    },
  });
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    // Started after all: stop it, so the test fails on the exit code rather than hanging.
    if (chunk.toString().includes('Herald is running')) child.kill('SIGTERM');
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, err })));
}

it('refuses at start a bundle whose provider apiUrl is plain http to another host', async () => {
  const { code, err } = await start(await bundleWithApiUrl('http://sendgrid.example.com/v3'), await freshDatabase('endpoint_refused'));
  expect(err).toMatch(
    /bundle sha256:[0-9a-f]{64} is refused: provider "[^"]+": options\.apiUrl "http:\/\/sendgrid\.example\.com\/v3" is plain http to sendgrid\.example\.com, which is not a loopback address/,
  );
  expect(err).toContain('Use an https:// apiUrl (plain http only to localhost, 127.0.0.1 or [::1]), then rebuild with `npx herald build`');
  expect(err).not.toMatch(/\n\s+at /);
  expect(code).toBe(2);
}, 60_000);

it('starts a bundle whose provider apiUrl is plain http to loopback', async () => {
  const { code, err } = await start(await bundleWithApiUrl('http://127.0.0.1:9/v3'), await freshDatabase('endpoint_loopback'));
  expect(err).not.toContain('is refused');
  expect({ code, err }).toEqual({ code: 0, err: expect.any(String) });
}, 60_000);
