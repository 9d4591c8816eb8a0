/**
 * HTTP mode: `POST {url}/v1/events`. Every attempt of one trigger carries the same Idempotency-Key (the
 * caller's, or one made here), so retrying after a lost answer replays the first acceptance instead of
 * starting the runs twice; that is what makes retrying connection errors safe, not just 503s.
 */
import { z } from 'zod';
import { HeraldError } from './errors.ts';
import type { TriggerResult } from './types.ts';

export interface HttpTransport {
  url: string;
  apiKey: string;
  fetch: typeof fetch;
  retries: number;
  timeoutMs: number;
}

export interface EventBody {
  event: string;
  userId: string;
  properties: unknown;
  messageId?: string;
}

const accepted = z.object({ runs: z.array(z.string()), routed: z.number().optional(), duplicate: z.boolean().optional() });
const failure = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) });

/** Answers worth another attempt: the runtime (or a proxy in front of it) is down or restarting; nothing was accepted. */
const RETRYABLE = new Set([502, 503, 504]);

/** 250 ms, 500 ms, 1 s, … (capped at 4 s), with ±50% jitter so clients that failed together do not retry together. */
export function backoffMs(attempt: number): number {
  const base = Math.min(4_000, 250 * 2 ** attempt);
  return Math.round(base * (0.5 + Math.random()));
}

export async function postEvent(transport: HttpTransport, body: EventBody, idempotencyKey: string): Promise<TriggerResult> {
  const endpoint = `${transport.url.replace(/\/+$/, '')}/v1/events`;
  const text = JSON.stringify(body);
  for (let attempt = 0; ; attempt++) {
    const last = attempt >= transport.retries;
    let response: Response;
    try {
      response = await transport.fetch(endpoint, {
        method: 'POST',
        headers: { authorization: `Bearer ${transport.apiKey}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
        body: text,
        signal: AbortSignal.timeout(transport.timeoutMs),
      });
    } catch (error) {
      // fetch rejects only when there is no answer: refused, reset, DNS, timeout.
      if (!last) {
        await sleep(backoffMs(attempt));
        continue;
      }
      const reason = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
      throw new HeraldError(null, 'unreachable', `cannot reach Herald at ${endpoint} after ${attempt + 1} attempt(s): ${reason}`, undefined, { cause: error });
    }
    if (response.ok) return resultOf(await readJson(response));
    if (RETRYABLE.has(response.status) && !last) {
      await response.body?.cancel().catch(() => {});
      await sleep(backoffMs(attempt));
      continue;
    }
    throw errorOf(response.status, await readJson(response));
  }
}

function resultOf(json: unknown): TriggerResult {
  const parsed = accepted.safeParse(json);
  if (!parsed.success) throw new HeraldError(202, 'invalid_response', `unexpected answer from Herald: ${JSON.stringify(json)?.slice(0, 200)}`);
  const { runs, routed, duplicate } = parsed.data;
  return duplicate ? { runs, routed: routed ?? 0, duplicate: true } : { runs, routed: routed ?? 0 };
}

function errorOf(status: number, json: unknown): HeraldError {
  const parsed = failure.safeParse(json);
  if (parsed.success) return new HeraldError(status, parsed.data.error.code, parsed.data.error.message, parsed.data.error.details);
  // Not the API's shape: a proxy's page, most likely.
  return new HeraldError(status, 'http_error', `Herald answered ${status}${typeof json === 'string' && json ? `: ${json.slice(0, 200)}` : ''}`);
}

/** The body as JSON, or as text when it is not JSON (errors from something in front of the runtime). */
async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
