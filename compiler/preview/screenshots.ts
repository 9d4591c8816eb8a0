/**
 * Screenshots of every card of a preview page: the page is opened in headless Chromium as a reader would
 * see it, and each element marked `data-shot` is captured to `<data-shot>.png` beside the page.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchChromium } from './browser.ts';

export async function screenshotCards(pagePath: string, outDir: string, executablePath: string): Promise<string[]> {
  const browser = await launchChromium(executablePath);
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(pathToFileURL(pagePath).href, { waitUntil: 'load' });
    // Email frames are sized to their content by the page's script once they load.
    await page.waitForFunction(() => [...document.querySelectorAll('iframe')].every((f) => f.contentDocument?.readyState === 'complete'));
    await page.evaluate(() => (window as unknown as { fitFrames?: () => void }).fitFrames?.());
    const written: string[] = [];
    for (const card of await page.locator('[data-shot]').all()) {
      const name = await card.getAttribute('data-shot');
      if (!name) continue;
      const file = join(outDir, `${name}.png`);
      await card.screenshot({ path: file, animations: 'disabled' });
      written.push(file);
    }
    return written;
  } finally {
    await browser.close();
  }
}
