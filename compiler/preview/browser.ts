/**
 * Headless Chromium through playwright-core, always with a browser already on the machine: Playwright's own
 * browser download is not used (CI and closed networks cannot fetch it). One place for the launch flags,
 * shared by `herald preview --png` and the browser tests.
 */
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

/**
 * Flags for a sandboxless container and a closed network: without the background-networking ones Chromium
 * keeps trying to reach Google's hosts (updates, sync, QUIC probes) and floods the log with refused connections.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** `HERALD_CHROMIUM`, else Debian's chromium (or a usual alternative); null when none is installed. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.HERALD_CHROMIUM) return existsSync(env.HERALD_CHROMIUM) ? env.HERALD_CHROMIUM : null;
  return CANDIDATES.find((path) => existsSync(path)) ?? null;
}

export const CHROMIUM_MISSING = 'no Chromium found: install it (Debian/Ubuntu: `apt-get install -y chromium`) or set HERALD_CHROMIUM to its executable';

export async function launchChromium(executablePath: string): Promise<Browser> {
  // Loaded on demand: only --png and the browser tests pay for playwright-core.
  let playwright: typeof import('playwright-core');
  try {
    playwright = await import('playwright-core');
  } catch {
    throw new Error('playwright-core is not installed: run `npm install -D playwright-core`');
  }
  return playwright.chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
}
