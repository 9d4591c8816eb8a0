/**
 * Chromium for browser tests. CI starts from a fresh Debian machine with nothing installed by hand, and
 * Playwright's own browser download cannot work there (no access to its CDN), so tests drive Debian's
 * `chromium` package through playwright-core. When it is missing and we are root (CI), it is installed
 * from the apt registry; otherwise the error says how to install it.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

export const CHROMIUM_PATH = '/usr/bin/chromium';

const run = promisify(execFile);
// One install per worker; test files in other workers wait on apt's lock (DPkg::Lock::Timeout) rather than fail.
let installing: Promise<string> | null = null;

export function ensureChromium(): Promise<string> {
  if (existsSync(CHROMIUM_PATH)) return Promise.resolve(CHROMIUM_PATH);
  installing ??= install().finally(() => (installing = null));
  return installing;
}

async function install(): Promise<string> {
  if (process.platform !== 'linux' || typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}. Install Debian's package first: ` +
        '`sudo apt-get update && sudo apt-get install -y chromium` (tests run it headless through playwright-core; ' +
        'Playwright-downloaded browsers are not used).',
    );
  }
  // Non-interactive: a package that asks a question would hang the test run.
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const options = { env, maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000 };
  try {
    const lock = ['-o', 'DPkg::Lock::Timeout=600'];
    await run('apt-get', [...lock, 'update'], options);
    await run('apt-get', [...lock, 'install', '-y', 'chromium'], options);
  } catch (error) {
    const detail = error instanceof Error ? (error as Error & { stderr?: string }).stderr || error.message : String(error);
    throw new Error(`installing chromium with apt-get failed: ${detail.trim().split('\n').slice(-5).join('\n')}`);
  }
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`apt-get installed chromium, but ${CHROMIUM_PATH} is not there`);
  return CHROMIUM_PATH;
}
