/**
 * The compiler pipeline: discover → (type-check ∥ evaluate) → lower and check → seal. Every stage reports into
 * one list, so one run shows every problem, and a broken file never hides the others.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { bundleSchema, type Bundle } from './bundle/schema.ts';
import { sealBundle } from './bundle/canonical.ts';
import { checkDeterminism } from './checks/determinism.ts';
import { typeCheck } from './checks/typecheck.ts';
import { diagnostic, sortDiagnostics, type Diagnostic } from './diagnostics/diagnostic.ts';
import { discoverFiles } from './load/discover.ts';
import { evaluateFiles } from './load/evaluate.ts';
import { buildLocator, openProgram } from './load/source.ts';
import { LowerContext } from './lower/context.ts';
import { lowerAll } from './lower/index.ts';

import { UsageError } from './cli/exit.ts';

export interface BuildOptions {
  /** Paths in diagnostics are relative to this (default: the process's working directory). */
  cwd?: string;
  /** Skip the TypeScript type-check (the evaluation still catches what breaks the bundle). */
  skipTypeCheck?: boolean;
}

export interface BuildResult {
  /** The sealed bundle, or null when any error was found. */
  bundle: Bundle | null;
  diagnostics: Diagnostic[];
  files: string[];
  timings: Record<'typecheckMs' | 'evaluateMs' | 'lowerMs' | 'totalMs', number>;
}

export async function buildProject(dir: string, options: BuildOptions = {}): Promise<BuildResult> {
  const started = performance.now();
  const cwd = resolve(options.cwd ?? process.cwd());
  const root = resolve(cwd, dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new UsageError(`"${dir}" is not a folder; pass the folder that holds your notifications (default: notifications)`);
  }
  const files = discoverFiles(root);
  const timings = { typecheckMs: 0, evaluateMs: 0, lowerMs: 0, totalMs: 0 };
  if (files.length === 0) {
    const at = { file: dir, line: 1, column: 1, excerpt: '' };
    return {
      bundle: null,
      diagnostics: [diagnostic('empty-project', at, `"${dir}" holds no .ts files`, 'add definitions, e.g. notifications/workflows/onboarding.ts')],
      files,
      timings,
    };
  }

  const evalStart = performance.now();
  const evaluation = evaluateFiles(files, cwd).finally(() => (timings.evaluateMs = performance.now() - evalStart));

  const tcStart = performance.now();
  const program = openProgram(files, cwd);
  const diagnostics: Diagnostic[] = [...checkDeterminism(program)];
  if (!options.skipTypeCheck) diagnostics.push(...typeCheck(program));
  timings.typecheckMs = performance.now() - tcStart;

  const evaluated = await evaluation;
  for (const error of evaluated.errors) {
    const sf = program.files.find((f) => f.getFilePath() === resolve(cwd, error.file));
    const line = error.line ?? 1;
    diagnostics.push(
      diagnostic(
        'evaluate-error',
        { file: error.file, line, column: error.column ?? 1, excerpt: sf?.getFullText().split('\n')[line - 1] ?? '' },
        `evaluating this file failed: ${error.message}`,
        'definitions must evaluate without errors; fix the line above (the other files were still checked)',
      ),
    );
  }

  const lowerStart = performance.now();
  const ctx = new LowerContext(buildLocator(program), evaluated.definitions);
  if (evaluated.definitions.length === 0 && evaluated.errors.length === 0) {
    ctx.report(
      'empty-project',
      { file: dir, line: 1, column: 1, excerpt: '' },
      `"${dir}" exports no definitions`,
      'export the values returned by event(), template(), workflow() …',
    );
  }
  const content = await lowerAll(ctx);
  const sealed = sealBundle(content);
  const parsed = bundleSchema.safeParse(sealed);
  if (!parsed.success) {
    for (const issue of parsed.error.issues.slice(0, 20)) {
      const [section, id] = issue.path.map(String);
      const kind = { workflows: 'workflow', templates: 'template', events: 'event', providers: 'provider', categories: 'category', channels: 'channel' }[
        section ?? ''
      ];
      const item = ctx.evaluated.find((e) => {
        const d = e.definition as { id?: string; name?: string; channel?: string; kind: string };
        return d.kind === kind && (d.id ?? d.name ?? d.channel) === id;
      });
      const at = kind && id && item ? ctx.where(kind, id, item.file) : { file: dir, line: 1, column: 1, excerpt: '' };
      ctx.report('invalid-definition', at, `${issue.path.join('.')}: ${issue.message}`, 'see the DSL docs in notifications/README.md for the accepted values');
    }
  }
  diagnostics.push(...ctx.diagnostics);
  timings.lowerMs = performance.now() - lowerStart;
  timings.totalMs = performance.now() - started;

  const all = sortDiagnostics(dedupe(diagnostics));
  const failed = all.some((d) => d.severity === 'error');
  return { bundle: failed || !parsed.success ? null : parsed.data, diagnostics: all, files, timings };
}

/**
 * One problem, one diagnostic: identical reports collapse, and TypeScript's "cannot find name 'process'" gives
 * way to the clearer determinism diagnostic on the same line.
 */
function dedupe(list: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const explained = new Set(list.filter((d) => d.code === 'non-deterministic' || d.code === 'import-not-allowed').map((d) => `${d.file}:${d.line}`));
  return list.filter((d) => {
    if (d.code === 'ts-error' && explained.has(`${d.file}:${d.line}`)) return false;
    const key = `${d.file}:${d.line}:${d.column}:${d.code}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
