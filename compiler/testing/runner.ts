/**
 * Runs scenario files in a fresh child process with tsx's loader (see child.ts) and returns their results.
 * The same shape as the compiler's evaluation (compiler/load/evaluate.ts): a child per run, results over
 * IPC, a timeout that kills a child that never answers.
 */
import { fork } from 'node:child_process';
import type { Bundle } from '../bundle/schema.ts';
import { heraldModule, userCodeExecArgv } from '../installation.ts';
import type { ChildReply, ChildRequest } from './child.ts';
import type { ScenarioResult } from './run-scenario.ts';

const CHILD = heraldModule('child', import.meta.url);

export function runScenarioFiles(files: string[], bundle: Bundle, cwd: string, timeoutMs = 120_000): Promise<ScenarioResult[]> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [], {
      cwd,
      execArgv: userCodeExecArgv(),
      // Whatever a scenario prints goes to our stderr: stdout stays the report (JSON under --json).
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let stderr = '';
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(() => reject(new Error(`the scenarios took longer than ${timeoutMs} ms (an endless loop in a scenario?)`)));
    }, timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      process.stderr.write(chunk);
    });
    child.on('message', (reply) => finish(() => resolve((reply as ChildReply).results)));
    child.on('error', (error) => finish(() => reject(error)));
    // 'close' comes after the IPC channel has drained, so a reply sent just before exiting is never lost.
    child.on('close', (code) => finish(() => reject(new Error(`the scenario process exited (${code}) without a result: ${stderr.trim().slice(-2000)}`))));
    const request: ChildRequest = { files, bundle, cwd };
    child.send(request);
  });
}
