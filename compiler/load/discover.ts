import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Scenario tests and unit tests sit beside definitions but are not part of the bundle. */
const NOT_DEFINITIONS = /\.(scenario|test|spec)\.ts$|\.d\.ts$/;

/** Files under `dir` whose name `accept`s, sorted so that results do not depend on directory order. */
export function listFiles(dir: string, accept: (name: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      if (name.startsWith('.') || name === 'node_modules') continue;
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (accept(name)) out.push(path);
    }
  };
  walk(dir);
  return out;
}

/** Every `.ts` definition file under `dir`. */
export function discoverFiles(dir: string): string[] {
  return listFiles(dir, (name) => name.endsWith('.ts') && !NOT_DEFINITIONS.test(name));
}
