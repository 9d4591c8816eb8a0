/**
 * Compiles a small notifications tree written by a test or benchmark. The compiler reads files, so the tree is
 * written to a folder of its own (git-ignored) and removed afterwards unless `keep` is set.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import { buildProject, type BuildResult } from '../../compiler/build.ts';
import type { Diagnostic } from '../../compiler/diagnostics/diagnostic.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Builds a tree whatever its diagnostics (for tests of the diagnostics themselves), in `test/.tmp-<name>-<pid>`,
 * left in place for the caller's afterAll (removeTree) so that a failure can be inspected.
 */
export async function buildTree(name: string, files: Record<string, string>): Promise<BuildResult> {
  const dir = treeDir(name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [file, source] of Object.entries(files)) writeFileSync(join(dir, file), source);
  return buildProject(dir, { cwd: ROOT, skipTypeCheck: true });
}
export const treeDir = (name: string) => join(ROOT, 'test', `.tmp-${name}-${process.pid}`);
export const removeTree = (name: string) => rmSync(treeDir(name), { recursive: true, force: true });

/** A diagnostic in one line: `file:line code: message | hint`. */
export const brief = (d: Diagnostic) => `${d.file.replace(/^.*\//, '')}:${d.line} ${d.code}: ${d.message}${d.hint ? ` | ${d.hint}` : ''}`;

export async function compileTree(dir: string, files: Record<string, string>, options: { keep?: boolean } = {}): Promise<Bundle> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [name, source] of Object.entries(files)) writeFileSync(join(dir, name), source);
  try {
    const built = await buildProject(dir, { cwd: ROOT });
    if (!built.bundle) throw new Error(`the tree in ${dir} does not compile: ${built.diagnostics.map((d) => `${d.file}:${d.line} ${d.message}`).join('; ')}`);
    return built.bundle;
  } finally {
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
  }
}
