/**
 * One benchmark trigger over `node:http`, shared by the closed-loop load (load.ts) and the fixed-rate load
 * (rate-load.ts): `POST /v1/events` naming the next user (u0 … u<users-1>), as distinct users trigger in
 * production, with the trigger's index in its properties. node:http on kept-alive sockets rather than fetch:
 * the generators share the machine's two cores with the runtime and Postgres, and undici's fetch costs about
 * twice the CPU per request.
 */
import { request, type Agent } from 'node:http';

export interface TriggerShape {
  event: string;
  users: number;
  /** The event's properties; `n` (the trigger's index) is added. Default `{}`. */
  properties?: Record<string, unknown>;
}

export const triggerBody = (shape: TriggerShape, i: number) =>
  JSON.stringify({ event: shape.event, userId: `u${i % shape.users}`, properties: { ...shape.properties, n: i } });

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
