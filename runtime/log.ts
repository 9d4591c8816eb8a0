/**
 * The runtime's logger (pino): JSON lines for machines; on a terminal, one short readable line per entry
 * (a few lines of formatting rather than another dependency).
 */
import { pino, type Logger } from 'pino';
import type { SandboxDelivery } from './delivery/providers/sandbox.ts';

export type { Logger };

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** `12:04:05 info  sandbox email to ada@example.com: Welcome, Ada  message=…` */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const { time, level, msg, err, ...rest } = entry;
  const clock = new Date(typeof time === 'number' ? time : Date.now()).toTimeString().slice(0, 8);
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const error = err && typeof err === 'object' ? ` — ${String((err as { message?: unknown }).message ?? '')}` : '';
  return `${clock} ${(LEVELS[level as number] ?? String(level)).padEnd(5)} ${String(msg ?? '')}${error}${fields ? `  ${fields}` : ''}\n`;
}

/** Level from HERALD_LOG_LEVEL (default info); `pretty` for a terminal. */
export function createLogger(options: { level?: string; pretty?: boolean; write?: (line: string) => void } = {}): Logger {
  const write = options.write ?? ((line: string) => void process.stdout.write(line));
  const level = options.level ?? process.env.HERALD_LOG_LEVEL ?? 'info';
  return pino({ level, base: undefined, serializers: { err: serializeError } }, { write: (line: string) => write(options.pretty ? prettyLine(line) : line) });
}

/**
 * Errors as pino serializes them, without what a library hangs on them: node-postgres puts the whole client on
 * the errors its pool emits (connection parameters, internal state, kilobytes a line).
 */
function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const { client: _client, connection: _connection, ...rest } = pino.stdSerializers.err(error) as unknown as Record<string, unknown>;
  return rest;
}

/** One entry per sandbox delivery: what would have been sent, to whom, and the message to look it up by. */
export function logSandboxDelivery(log: Logger, d: SandboxDelivery): void {
  const c = d.content;
  const text = String(c.subject ?? c.title ?? c.body ?? '')
    .replace(/\s+/g, ' ')
    .slice(0, 80);
  log.info({ message: d.messageId, provider: d.provider }, `sandbox ${d.channel} to ${d.to || '(no address)'}: ${text}`);
}
