/**
 * The HTTP load generator, in its own thread so that it does not share the runtime's event loop (nor the fake
 * providers' of the bench process): fires `count` triggers with `concurrency` in flight and reports each
 * request's latency. With several runtime processes (`urls`), trigger i goes to process i mod n.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pool } from './stats.ts';
import { postTrigger, triggerAgent, triggerBody, type TriggerShape } from './trigger.ts';

export interface Load extends TriggerShape {
  /** One runtime's API, or several (round robin). */
  url?: string;
  urls?: string[];
  apiKey: string;
  count: number;
  concurrency: number;
}

const load = workerData as Load;
const urls = load.urls ?? [load.url!];
const latencies: number[] = [];
const agent = triggerAgent(load.concurrency);
const started = performance.now();
await pool(load.count, load.concurrency, async (i) => {
  const start = performance.now();
  const status = await postTrigger(agent, urls[i % urls.length]!, load.apiKey, triggerBody(load, i));
  if (status !== 202) throw new Error(`trigger answered ${status}`);
  latencies.push(performance.now() - start);
});
parentPort!.postMessage({ latencies, seconds: (performance.now() - started) / 1000 });
