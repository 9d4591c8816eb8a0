/**
 * Scenario files: every `*.scenario.ts` under the folder, sorted so runs are reproducible. The compiler's
 * own discovery (compiler/load/discover.ts) skips exactly these files, so scenarios never enter the bundle.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const SCENARIO_FILE = /\.scenario\.ts$/;

export function findScenarioFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      if (name.startsWith('.') || name === 'node_modules') continue;
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (SCENARIO_FILE.test(name)) out.push(path);
    }
  };
  walk(dir);
  return out;
}
