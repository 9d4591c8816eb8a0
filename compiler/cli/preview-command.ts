/**
 * `herald preview` (every template rendered as its recipients would see it, as one HTML page, optionally
 * with PNG screenshots) and `herald replay` (recorded events run under a new and an old bundle, and what
 * would change). The work lives in compiler/preview/ and compiler/replay/; this module reads the flags,
 * the files, and maps outcomes to exit codes (0 ok, 1 a problem in the user's files, 2 bad usage).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ZodError } from 'zod';
import { parseBundle, type Bundle } from '../bundle/schema.ts';
import { buildProject } from '../build.ts';
import { findChromium, CHROMIUM_MISSING } from '../preview/browser.ts';
import { collectPreviews } from '../preview/collect.ts';
import { previewPage } from '../preview/html.ts';
import { screenshotCards } from '../preview/screenshots.ts';
import { buildReport } from '../replay/compare.ts';
import { replayEvents } from '../replay/driver.ts';
import { EventLogError, parseEventLog } from '../replay/events.ts';
import { reportJson, reportMarkdown } from '../replay/format.ts';
import { EXIT } from './exit.ts';
import { outputOptions, reportDiagnostics } from './output.ts';

/** `herald preview [dir] --out DIR [--png]`. */
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

/** `herald replay --events FILE --bundle NEW [--base OLD] [--json]`. */
export async function replayCommand(flags: { events: string; bundle: string; base?: string; json?: boolean }): Promise<number> {
  let events, head: Bundle, base: Bundle | null;
  try {
    events = parseEventLog(readInput(flags.events, 'events'), flags.events);
    head = readBundle(flags.bundle);
    base = flags.base === undefined ? null : readBundle(flags.base);
  } catch (error) {
    if (error instanceof InputFileError || error instanceof EventLogError) {
      process.stderr.write(`herald replay: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
  const report = buildReport(events, replayEvents(head, events), base ? replayEvents(base, events) : null);
  process.stdout.write(flags.json ? reportJson(report) : reportMarkdown(report));
  return EXIT.ok;
}

class InputFileError extends Error {}

function readInput(path: string, what: string): string {
  if (!existsSync(path)) throw new InputFileError(`${what} file "${path}" does not exist`);
  return readFileSync(path, 'utf8');
}

function readBundle(path: string): Bundle {
  const text = readInput(path, 'bundle');
  try {
    return parseBundle(JSON.parse(text));
  } catch (error) {
    const why =
      error instanceof ZodError
        ? error.issues
            .slice(0, 3)
            .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
            .join('; ')
        : error instanceof Error
          ? error.message
          : String(error);
    throw new InputFileError(`"${path}" is not a Herald bundle (${why}); build one with \`herald build --out FILE\``);
  }
}
