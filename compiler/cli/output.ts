import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { formatAnnotation, formatDiagnostic, summarize } from '../diagnostics/format.ts';

export interface OutputOptions {
  json: boolean;
  /** Print GitHub Actions annotations as well (set when GITHUB_ACTIONS=true). */
  annotations: boolean;
}

/** Diagnostics for people (stderr), machines (`--json` on stdout) and pull requests (annotations on stdout). */
export function reportDiagnostics(list: Diagnostic[], options: OutputOptions, extra: Record<string, unknown> = {}): void {
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ok: !list.some((d) => d.severity === 'error'), diagnostics: list, ...extra }, null, 2)}\n`);
  } else {
    for (const d of list) process.stderr.write(`${formatDiagnostic(d)}\n\n`);
    if (list.length) process.stderr.write(`${summarize(list)}\n`);
  }
  if (options.annotations) for (const d of list) process.stdout.write(`${formatAnnotation(d)}\n`);
}

export function outputOptions(flags: { json?: boolean }): OutputOptions {
  return { json: flags.json === true, annotations: process.env.GITHUB_ACTIONS === 'true' };
}
