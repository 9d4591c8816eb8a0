import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Scenario tests and unit tests sit beside definitions but are not part of the bundle. */
const NOT_DEFINITIONS = /\.(scenario|test|spec)\.ts$|\.d\.ts$/;

/** Every `.ts` definition file under `dir`, sorted so that builds do not depend on directory order. */
export function discoverFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      if (name.startsWith('.') || name === 'node_modules') continue;
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && !NOT_DEFINITIONS.test(name)) out.push(path);
    }
  };
  walk(dir);
  return out;
}
