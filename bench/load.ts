/**
 * The HTTP load generator, in its own thread so that it does not share the runtime's event loop (nor the fake
 * providers' of the bench process): fires `count` triggers with `concurrency` in flight and reports each
 * request's latency. With several runtime processes (`urls`), trigger i goes to process i mod n.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Agent, request } from 'node:http';
import { pool } from './stats.ts';

export interface Load {
  /** One runtime's API, or several (round robin). */
  url?: string;
  urls?: string[];
  apiKey: string;
  count: number;
  concurrency: number;
  users: number;
  event: string;
  /** The event's properties; `n` (the trigger's index) is added. Default `{}`. */
  properties?: Record<string, unknown>;
}

const load = workerData as Load;
const urls = load.urls ?? [load.url!];
const latencies: number[] = [];
// node:http on kept-alive sockets rather than fetch: the generator shares the machine's two cores with the
// runtime and Postgres, and undici's fetch costs it about twice the CPU per request.
const agent = new Agent({ keepAlive: true, maxSockets: load.concurrency });
const started = performance.now();
await pool(load.count, load.concurrency, async (i) => {
  const start = performance.now();
  const body = JSON.stringify({ event: load.event, userId: `u${i % load.users}`, properties: { ...load.properties, n: i } });
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(`${urls[i % urls.length]}/v1/events`, { method: 'POST', agent, headers: { authorization: `Bearer ${load.apiKey}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
  if (status !== 202) throw new Error(`trigger answered ${status}`);
  latencies.push(performance.now() - start);
});
parentPort!.postMessage({ latencies, seconds: (performance.now() - started) / 1000 });
