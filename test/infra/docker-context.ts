/**
 * The Docker build context as `docker build .` would send it: the working tree filtered by .dockerignore.
 * Covers the rules .dockerignore here uses (`*`, `**`, `?`, `!` re-includes, a match on a directory
 * taking everything under it, the last matching rule winning), as Docker's own matcher does.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

interface Rule {
  regex: RegExp;
  negate: boolean;
  /** The literal part before the first wildcard: where a re-include can reach inside an excluded folder. */
  prefix: string;
}

function toRegex(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      // `**/` matches any number of folders, including none.
      out += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += pattern[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

export function parseDockerignore(text: string): Rule[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const pattern = (negate ? line.slice(1) : line).trim().replace(/^\/+|\/+$/g, '');
      return { regex: toRegex(pattern), negate, prefix: pattern.split(/[*?[]/)[0]! };
    });
}

/** Whether a path (relative, `/`-separated) is left out: the last rule matching it or a parent decides. */
export function isIgnored(path: string, rules: Rule[]): boolean {
  const parts = path.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const rule of rules) if (candidates.some((c) => rule.regex.test(c))) ignored = !rule.negate;
  return ignored;
}

/** Copies `root`'s context into `to`; returns the relative paths copied. */
export function copyBuildContext(root: string, to: string): string[] {
  const rules = parseDockerignore(readFileSync(join(root, '.dockerignore'), 'utf8'));
  const reincludes = rules.filter((r) => r.negate);
  const copied: string[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        // An excluded folder is still entered when a re-include rule points inside it.
        if (!isIgnored(path, rules) || reincludes.some((r) => r.prefix.startsWith(`${path}/`) || r.prefix === path)) walk(path);
      } else if (entry.isFile() && !isIgnored(path, rules)) {
        mkdirSync(dirname(join(to, path)), { recursive: true });
        copyFileSync(join(root, path), join(to, path));
        copied.push(path);
      }
    }
  };
  walk('');
  return copied;
}
