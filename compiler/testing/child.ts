/**
 * Runs in a child process (`node --import tsx`), like the compiler's evaluation: scenario files are user
 * code, so they run outside the CLI's process, with a fresh module cache, and a scenario stuck in a loop
 * cannot hang `herald test` (the parent kills the child after its timeout). Replies over IPC.
 */
import type { Bundle } from '../bundle/schema.ts';
import { loadScenarios, runLoaded } from './collect.ts';
import type { ScenarioResult } from './run-scenario.ts';

export interface ChildRequest {
  files: string[];
  bundle: Bundle;
  cwd: string;
}

export interface ChildReply {
  results: ScenarioResult[];
}

process.once('message', (message: ChildRequest) => {
  void (async () => {
    const { scenarios, problems } = await loadScenarios(message.files, message.cwd);
    const results = [...problems, ...(await runLoaded(message.bundle, scenarios))];
    const reply: ChildReply = { results };
    process.send?.(reply, () => process.exit(0));
  })();
});
