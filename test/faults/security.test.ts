/**
 * The whole abuse corpus (test/security/abuse.ts) against a real `herald start`: every case of every route,
 * live streams past their caps, and a slow body on every route that takes one. Each case answered as
 * expected and never with a 5xx; afterwards the process is alive, nothing is stored, no one's consent has
 * changed and its memory is bounded.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { expectUnharmed, runCorpus, slowloris, startAbuseTarget, streamFlood, type AbuseTarget } from '../security/abuse-run.ts';

let target: AbuseTarget;

beforeAll(async () => {
  target = await startAbuseTarget('abuse_full');
}, 120_000);

afterAll(async () => {
  await target?.fault.close();
});

it('answers every case of the abuse corpus as expected, storing nothing', async () => {
  const { cases, failures } = await runCorpus(target);
  console.log(`abuse corpus: ${cases} cases, ${failures.length} failures`);
  expect(failures).toEqual([]);
  await expectUnharmed(target, 250);
}, 600_000);

it('caps live streams and keeps answering', async () => {
  await streamFlood(target);
}, 60_000);

it('cuts slow bodies at the request timeout on every route that takes one', async () => {
  await slowloris(target);
  await expectUnharmed(target, 250);
}, 180_000);
