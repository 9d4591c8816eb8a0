/**
 * Chromium for browser tests. Playwright's own browser download cannot work in CI (no access to its CDN), so
 * tests drive Debian's `chromium` package through playwright-core, installed when missing (debian-package.ts).
 */
import { ensureDebianPackage } from './debian-package.ts';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export function ensureChromium(): Promise<string> {
  return ensureDebianPackage({
    name: 'chromium',
    path: CHROMIUM_PATH,
    purpose: 'tests run it headless through playwright-core; Playwright-downloaded browsers are not used',
  });
}
