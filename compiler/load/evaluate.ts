import { fork } from 'node:child_process';
import { heraldModule, userCodeExecArgv } from '../installation.ts';
import type { EvaluationResult } from './serial.ts';

const CHILD = heraldModule('evaluate-child', import.meta.url);

/**
 * Evaluates the notifications files in a fresh child process and returns their definitions as plain JSON.
 * A fresh process per build means edits are always seen (no module cache) and user code stays sandboxed.
 */
export function evaluateFiles(files: string[], cwd: string, timeoutMs = 60_000): Promise<EvaluationResult> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [], {
      cwd,
      execArgv: userCodeExecArgv(),
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    let settled = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(() => reject(new Error(`evaluating notifications took longer than ${timeoutMs} ms (an endless loop at import?)`)));
    }, timeoutMs);
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('message', (result) => finish(() => resolve(result as EvaluationResult)));
    child.on('error', (error) => finish(() => reject(error)));
    // 'close' comes after the IPC channel has drained, so a result sent just before exiting is never lost.
    child.on('close', (code) => finish(() => reject(new Error(`the evaluation process exited (${code}) without a result: ${stderr.trim().slice(-2000)}`))));
    child.send({ files, cwd });
  });
}
