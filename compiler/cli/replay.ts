/**
 * `herald replay --events FILE --bundle NEW [--base OLD] [--json]`: recorded events run under a new and an
 * old bundle, and what would change. The work lives in compiler/replay/; this module reads the flags and the
 * files, and maps outcomes to exit codes (0 ok, 2 bad usage).
 */
import { existsSync, readFileSync } from 'node:fs';
import { ZodError } from 'zod';
import { parseBundle, type Bundle } from '../bundle/schema.ts';
import { buildReport } from '../replay/compare.ts';
import { replayEvents } from '../replay/replay-events.ts';
import { EventLogError, parseEventLog } from '../replay/events.ts';
import { reportJson, reportMarkdown } from '../replay/format.ts';
import { EXIT } from './exit.ts';

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
