/**
 * A runtime as a real process: `herald start` spawned with its own environment, its URL read from the
 * start-up banner. The fault suite kills these (`kill -9`, SIGTERM) and the benchmarks run several of them
 * on one database.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalJson } from '../../compiler/bundle/canonical.ts';
import type { Bundle } from '../../compiler/bundle/schema.ts';

export const HERALD_BIN = fileURLToPath(new URL('../../compiler/cli/herald.js', import.meta.url));

export interface RuntimeProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  /** Everything the process wrote (stdout and stderr), for assertions and failure messages. */
  output: string[];
  /** Resolves when the process has exited, with its code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM, then wait for the exit (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnOptions {
  bundlePath: string;
  databaseUrl: string;
  apiKey: string;
  env?: Record<string, string>;
  port?: number;
  /** How long to wait for the banner. */
  startTimeoutMs?: number;
}

/** Writes a bundle as a file `herald start --bundle` can load. */
export function writeBundleFile(bundle: Bundle, dir: string, name = 'bundle.json'): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, canonicalJson(bundle));
  return path;
}

export function spawnRuntime(options: SpawnOptions): Promise<RuntimeProcess> {
  const child = spawn(process.execPath, [HERALD_BIN, 'start', '--bundle', options.bundlePath], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      PORT: String(options.port ?? 0),
      DATABASE_URL: options.databaseUrl,
      HERALD_API_KEY: options.apiKey,
      HERALD_SIGNING_SECRET: 'process-signing-secret-0123456789-0123456789',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`herald start did not print its URL within ${options.startTimeoutMs ?? 30_000} ms:\n${output.join('')}`));
    }, options.startTimeoutMs ?? 30_000);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output.push(text);
      if (output.length > 5_000) output.splice(0, output.length - 5_000);
      buffered += text;
      const match = /API\s+(http:\/\/localhost:\d+)/.exec(buffered);
      if (match) {
        clearTimeout(timer);
        buffered = '';
        child.stdout!.off('data', onData);
        child.stdout!.on('data', (c: Buffer) => output.push(c.toString()));
        resolve({
          url: match[1]!,
          pid: child.pid!,
          child,
          output,
          exited,
          kill: (signal = 'SIGKILL') => void child.kill(signal),
          async stop(timeoutMs = 20_000) {
            if (child.exitCode !== null || child.signalCode !== null) return exited;
            child.kill('SIGTERM');
            const force = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
            const result = await exited;
            clearTimeout(force);
            return result;
          },
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`herald start exited (${signal ?? code}) before it was ready:\n${output.join('')}`));
    });
  });
}
