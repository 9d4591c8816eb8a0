/**
 * `herald preview [dir] --out DIR [--png]`: every template rendered as its recipients would see it, as one
 * HTML page, optionally with PNG screenshots. The work lives in compiler/preview/; this module reads the
 * flags and maps outcomes to exit codes (0 ok, 1 a problem in the user's files, 2 bad usage).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildProject } from '../build.ts';
import { findChromium, CHROMIUM_MISSING } from '../preview/browser.ts';
import { collectPreviews } from '../preview/collect.ts';
import { previewPage } from '../preview/html.ts';
import { screenshotCards } from '../preview/screenshots.ts';
import { EXIT } from './exit.ts';
import { outputOptions, reportDiagnostics } from './output.ts';

export async function previewCommand(dir: string, flags: { out: string; png?: boolean }): Promise<number> {
  // Checked before the build, so a missing browser fails in a second, not after compiling.
  const chromium = flags.png ? findChromium() : null;
  if (flags.png && !chromium) {
    process.stderr.write(`herald preview --png: ${CHROMIUM_MISSING}\n`);
    return EXIT.usage;
  }
  const result = await buildProject(dir);
  if (!result.bundle) {
    reportDiagnostics(result.diagnostics, outputOptions({}));
    return EXIT.problems;
  }
  const previews = collectPreviews(result.bundle);
  const out = resolve(flags.out);
  mkdirSync(out, { recursive: true });
  const page = join(out, 'index.html');
  writeFileSync(page, previewPage(previews, { version: result.bundle.version, pngs: flags.png === true }));

  const renders = previews.flatMap((t) => t.locales.flatMap((l) => l.examples.flatMap((e) => e.channels)));
  let shots = 0;
  if (chromium) shots = (await screenshotCards(page, out, chromium)).length;
  const failed = renders.filter((r) => !r.ok).length;
  process.stderr.write(
    `✓ wrote ${join(flags.out, 'index.html')} (${previews.length} templates, ${renders.length} renders${shots ? `, ${shots} screenshots` : ''})\n`,
  );
  if (failed > 0) {
    process.stderr.write(`✗ ${failed} renders failed; the page shows each error where the message would be\n`);
    return EXIT.problems;
  }
  return EXIT.ok;
}
