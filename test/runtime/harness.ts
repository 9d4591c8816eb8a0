/**
 * Test harness for the runtime: the example notifications compiled once, with durations shortened so that
 * a two-hour wait takes a second or two; a runtime on a fresh database; a small API client; polling.
 */
import { fileURLToPath } from 'node:url';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import { buildProject } from '../../compiler/build.ts';
import { startRuntime, type Runtime, type StartOptions } from '../../runtime/server.ts';
import { freshDatabase } from '../setup/database.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
let compiled: Promise<Bundle> | null = null;

export function exampleBundle(): Promise<Bundle> {
  compiled ??= buildProject('notifications', { cwd: root }).then((r) => {
    if (!r.bundle) throw new Error(`notifications/ does not compile: ${r.diagnostics.map((d) => d.message).join('; ')}`);
    return r.bundle;
  });
  return compiled;
}

export { shorten } from '../setup/shorten.ts';
import { shorten } from '../setup/shorten.ts';

export const API_KEY = 'test-key-0123456789-0123456789-0123456789';
/** Signs links and dashboard sessions in tests (a runtime on DATABASE_URL requires one). */
export const SIGNING_SECRET = 'test-signing-secret-0123456789-0123456789';

export async function startTestRuntime(name: string, options: StartOptions = {}): Promise<Runtime> {
  const databaseUrl = options.databaseUrl ?? (await freshDatabase(name));
  return startRuntime({
    port: 0,
    apiKey: API_KEY,
    signingSecret: SIGNING_SECRET,
    workers: 4,
    env: {},
    onError: process.env.HERALD_TEST_LOG ? (e: unknown) => console.error('runtime error:', e instanceof Error ? e.message : e) : () => {},
    ...options,
    databaseUrl,
    bundle: options.bundle ?? shorten(await exampleBundle()),
  });
}

export function client(runtime: { url: string }) {
  return async function api<T = Record<string, unknown>>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${runtime.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  };
}

/** Polls `fn` until it returns a truthy value, or fails with `what` after `timeoutMs`. */
export async function eventually<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export type Api = ReturnType<typeof client>;

export interface MessageView {
  id: string;
  runId: string;
  step: string;
  channel: string;
  status: string;
  reason: string | null;
  provider: string | null;
  providerMessageId: string | null;
  providerResponse: Record<string, unknown> | null;
  content: Record<string, unknown> | null;
  /** Every status change and provider attempt, with its time. */
  history: { status: string; at: string; provider?: string; error?: string; code?: string; attempt?: number; payload?: unknown }[];
}

export async function messagesOf(api: Api, userId: string): Promise<MessageView[]> {
  const r = await api<{ messages: MessageView[] }>('GET', `/v1/users/${userId}/messages`);
  return r.body.messages;
}
