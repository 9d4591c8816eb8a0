/**
 * The project's static import graph, read from the source (no bundler, no loader): for each tracked
 * TypeScript file outside node_modules, what it imports — project files as repository paths, packages by name.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Import {
  /** A repository path (`runtime/engine/index.ts`) or a package name (`zod`, `node:crypto`). */
  target: string;
  /** `import type` only: erased at run time, so it cannot make a cycle, but it still crosses a boundary. */
  typeOnly: boolean;
  /** `await import(...)`: loaded on demand. */
  dynamic: boolean;
}

const SKIP = new Set(['node_modules', '.git', 'dist', 'fixtures', '.herald']);

export function sourceFiles(dir = ''): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    if (SKIP.has(entry.name) || entry.name.startsWith('.')) continue;
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(path);
  }
  return files;
}

const STATIC = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?'([^']+)'/gm;
const DYNAMIC = /\bimport\(\s*'([^']+)'\s*\)/g;

export function importsOf(file: string): Import[] {
  const source = readFileSync(join(ROOT, file), 'utf8');
  const found: Import[] = [];
  const resolve = (specifier: string) =>
    specifier.startsWith('.')
      ? relative(ROOT, normalize(join(ROOT, dirname(file), specifier)))
          .split('\\')
          .join('/')
      : packageName(specifier);
  for (const m of source.matchAll(STATIC)) found.push({ target: resolve(m[3]!), typeOnly: m[2] !== undefined, dynamic: false });
  for (const m of source.matchAll(DYNAMIC)) found.push({ target: resolve(m[1]!), typeOnly: false, dynamic: true });
  return found;
}

function packageName(specifier: string): string {
  if (specifier.startsWith('node:')) return specifier;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Strongly connected components with more than one file: the import cycles among run-time imports. */
export function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      for (let top = stack.pop()!; ; top = stack.pop()!) {
        onStack.delete(top);
        component.push(top);
        if (top === node) break;
      }
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}
