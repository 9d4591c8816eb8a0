/**
 * Builds the package's compiled form (`npm pack` runs it as `prepack`): dist/herald/ holds the JavaScript and
 * `.d.ts` types of compiler/, runtime/, client/ and infra/ (tsconfig.package.json), and the few files they
 * read at run time. Then it checks what it built: every package a compiled file imports is one the package
 * declares (a dependency, an optional one, or a peer), so nothing from the dev tooling is needed where the
 * package is installed. See release/README.md.
 *
 *   node release/build.ts
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'dist', 'herald');

/** Files the compiled modules read beside themselves (not TypeScript, so tsc does not emit them). */
const ASSETS = ['runtime/inbox/widget.js'];

function compile() {
  rmSync(out, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.package.json')], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`tsc -p tsconfig.package.json failed (${result.status})`);
  for (const asset of ASSETS) {
    mkdirSync(dirname(join(out, asset)), { recursive: true });
    copyFileSync(join(root, asset), join(out, asset));
  }
}

/** `pg` for `pg`, `@aws-sdk/client-s3` for `@aws-sdk/client-s3/dist/x`; null for relative paths and Node's own modules. */
function packageOf(specifier: string): string | null {
  if (specifier.startsWith('.') || specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]!)) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Packages the compiled files import that package.json does not declare for users; empty when all is well. */
function undeclaredImports(): string[] {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
  const declared = new Set(['herald', ...['dependencies', 'optionalDependencies', 'peerDependencies'].flatMap((k) => Object.keys(manifest[k] ?? {}))]);
  const found: string[] = [];
  const importPattern = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^import\s+["']([^"']+)["']/gm;
  for (const name of readdirSync(out, { recursive: true, encoding: 'utf8' })) {
    if (!name.endsWith('.js')) continue;
    const file = join(out, name);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(importPattern)) {
      const name = packageOf(match[1] ?? match[2] ?? match[3]!);
      if (name && !declared.has(name)) found.push(`${relative(root, file)} imports ${name}`);
    }
  }
  return found;
}

compile();
const undeclared = undeclaredImports();
if (undeclared.length > 0) {
  process.stderr.write(`release/build.ts: the compiled package imports what package.json does not declare for users:\n  ${undeclared.join('\n  ')}\n`);
  process.exit(1);
}
if (!existsSync(join(out, 'compiler/cli/main.js'))) throw new Error('dist/herald/compiler/cli/main.js was not built');
process.stdout.write(`built ${relative(root, out)}/\n`);
