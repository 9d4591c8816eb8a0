/**
 * The two sides of a diff: each a bundle file, a notifications folder, a git ref (compiled here), or the
 * working tree. A git ref's folder is written to a temporary directory that gets its own
 * `node_modules/herald` link to the running compiler, so `import … from 'herald'` resolves there exactly as
 * in the working tree, whichever folder the repository keeps its notifications in.
 */
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { heraldRoot } from '../installation.ts';
import { ZodError } from 'zod';
import { buildProject } from '../build.ts';
import { UsageError } from '../cli/exit.ts';
import { parseBundle, type Bundle } from '../bundle/schema.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { exportFolder, resolveCommit } from './git.ts';

export type SideSource =
  | { kind: 'file'; path: string }
  | { kind: 'folder'; path: string }
  | { kind: 'git'; ref: string; dir: string }
  | { kind: 'worktree'; dir: string };

export interface LoadedSide {
  label: string;
  /** Null when the side has no notifications at all (a ref from before the folder existed). */
  bundle: Bundle | null;
}

/** A side that did not compile: the diff cannot be computed, the diagnostics say why. */
export class CompileFailed extends Error {
  override name = 'CompileFailed';
  readonly label: string;
  readonly diagnostics: Diagnostic[];

  constructor(label: string, diagnostics: Diagnostic[]) {
    super(`${label} does not compile`);
    this.label = label;
    this.diagnostics = diagnostics;
  }
}

/** A command-line argument names a bundle file, a folder, or else a git ref. */
export function classify(spec: string, cwd: string, dir: string): SideSource {
  const path = resolve(cwd, spec);
  if (existsSync(path)) return statSync(path).isDirectory() ? { kind: 'folder', path: spec } : { kind: 'file', path: spec };
  return { kind: 'git', ref: spec, dir };
}

export function readBundleFile(path: string, cwd: string): Bundle {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(resolve(cwd, path), 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read bundle "${path}": ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return parseBundle(raw);
  } catch (error) {
    if (!(error instanceof ZodError)) throw error;
    const where = error.issues[0]?.path.join('.') ?? '';
    throw new UsageError(`"${path}" is not a Herald bundle (${where}: ${error.issues[0]?.message}); build one with: herald build --out ${path}`);
  }
}

async function compile(folder: string, cwd: string, label: string, skipTypeCheck: boolean): Promise<Bundle> {
  const result = await buildProject(folder, { cwd, skipTypeCheck });
  if (!result.bundle) throw new CompileFailed(label, result.diagnostics);
  return result.bundle;
}

async function compileRef(ref: string, dir: string, cwd: string): Promise<Bundle | null> {
  const temp = mkdtempSync(join(tmpdir(), 'herald-diff-'));
  try {
    const folder = exportFolder(ref, dir, cwd, temp);
    if (!folder) return null;
    mkdirSync(join(temp, 'node_modules'));
    // 'junction' makes a directory link on Windows without admin rights; elsewhere the type is ignored.
    symlinkSync(heraldRoot, join(temp, 'node_modules', 'herald'), 'junction');
    // A committed ref was type-checked when it was committed; the evaluation still catches what breaks the bundle.
    return await compile(relative(temp, folder) || '.', temp, ref, true);
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/** Fails fast on a ref that does not exist, before any side starts compiling. */
export function checkSource(source: SideSource, cwd: string): void {
  if (source.kind === 'git') resolveCommit(source.ref, cwd);
}

export async function loadSide(source: SideSource, cwd: string): Promise<LoadedSide> {
  switch (source.kind) {
    case 'file':
      return { label: source.path, bundle: readBundleFile(source.path, cwd) };
    case 'folder':
      return { label: source.path, bundle: await compile(source.path, cwd, source.path, false) };
    case 'git':
      return { label: source.ref, bundle: await compileRef(source.ref, source.dir, cwd) };
    case 'worktree':
      return { label: 'working tree', bundle: await compile(source.dir, cwd, 'the working tree', false) };
  }
}
