/**
 * One benchmark trigger over `node:http`, shared by the closed-loop load (load.ts) and the fixed-rate load
 * (rate-load.ts): `POST /v1/events` naming the next user (u0 … u<users-1>), as distinct users trigger in
 * production, with the trigger's index in its properties. node:http on kept-alive sockets rather than fetch:
 * the generators share the machine's two cores with the runtime and Postgres, and undici's fetch costs about
 * twice the CPU per request.
 */
import { Agent, request } from 'node:http';

export interface TriggerShape {
  event: string;
  users: number;
  /** The event's properties; `n` (the trigger's index) is added. Default `{}`. */
  properties?: Record<string, unknown>;
}

export const triggerBody = (shape: TriggerShape, i: number) =>
  JSON.stringify({ event: shape.event, userId: `u${i % shape.users}`, properties: { ...shape.properties, n: i } });

/**
 * The kept-alive connections a generator sends on. The runtime (Node's http server) closes a connection idle
 * for 5 s (its `Keep-Alive: timeout=5`); a request sent on it as it closes fails with ECONNRESET though the
 * runtime never read it. With more connections than requests in flight (a closed loop whose runtimes answer
 * unevenly, a fixed rate), the agent's least recently used ones do sit idle that long, and Node's agent does
 * not close idle sockets by itself: it honours the server's hint only when given a `timeout`, and on a busy
 * machine notices the server's close too late. Here it closes them after 2 s idle, well before the runtime.
 */
export const triggerAgent = (maxSockets: number) => new Agent({ keepAlive: true, maxSockets, timeout: 2_000 });

export class TriggerTimeout extends Error {}

/** Sends trigger `i` to `baseUrl`; resolves with the answer's status once it is read, rejects on a transport error or past `timeoutMs`. */
export function postTrigger(agent: Agent, baseUrl: string, apiKey: string, body: string, timeoutMs?: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${baseUrl}/v1/events`,
      { method: 'POST', agent, headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    if (timeoutMs) req.setTimeout(timeoutMs, () => req.destroy(new TriggerTimeout(`no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
