/** A fan-out rate as written (`'500/min'`, `'20/s'`, `'1000/h'`) → the bundle's `{ max, perMs }`, or why not. */
import type { FanoutRate } from '../bundle/schema.ts';

const UNIT_MS: Record<string, number> = { s: 1000, sec: 1000, min: 60_000, m: 60_000, h: 3_600_000, hour: 3_600_000 };

export function parseRate(text: unknown): { ok: true; rate: FanoutRate } | { ok: false; message: string } {
  const match = typeof text === 'string' ? /^\s*(\d+)\s*\/\s*([a-z]+)\s*$/.exec(text) : null;
  const perMs = match ? UNIT_MS[match[2]!] : undefined;
  if (!match || perMs === undefined) return { ok: false, message: `rate ${JSON.stringify(text)} is not "N/s", "N/min" or "N/h"` };
  const max = Number(match[1]);
  if (!Number.isSafeInteger(max) || max < 1) return { ok: false, message: `rate ${JSON.stringify(text)} starts nobody: N must be at least 1` };
  return { ok: true, rate: { max, perMs } };
}
