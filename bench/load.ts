/**
 * The HTTP load generator, in its own thread so that it does not share the runtime's event loop: fires
 * `count` triggers with `concurrency` in flight and reports each request's latency.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pool } from './stats.ts';

interface Load {
  url: string;
  apiKey: string;
  count: number;
  concurrency: number;
  users: number;
  event: string;
}

const load = workerData as Load;
const latencies: number[] = [];
const started = performance.now();
await pool(load.count, load.concurrency, async (i) => {
  const start = performance.now();
  const res = await fetch(`${load.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${load.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ event: load.event, userId: `u${i % load.users}`, properties: { n: i } }),
  });
  await res.arrayBuffer();
  if (res.status !== 202) throw new Error(`trigger answered ${res.status}`);
  latencies.push(performance.now() - start);
});
parentPort!.postMessage({ latencies, seconds: (performance.now() - started) / 1000 });
