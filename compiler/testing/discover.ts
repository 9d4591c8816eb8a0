/**
 * Scenario files: every `*.scenario.ts` under the folder, sorted so runs are reproducible. The compiler's
 * own discovery (compiler/load/discover.ts) skips exactly these files, so scenarios never enter the bundle.
 */
import { listFiles } from '../load/discover.ts';

export const SCENARIO_FILE = /\.scenario\.ts$/;

export function findScenarioFiles(dir: string): string[] {
  return listFiles(dir, (name) => SCENARIO_FILE.test(name));
}
