/**
 * Compiles a small notifications tree written by a test or benchmark. The compiler reads files, so the tree is
 * written to a folder of its own (git-ignored) and removed afterwards unless `keep` is set.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import { buildProject } from '../../compiler/build.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

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
