/**
 * The abuse corpus's quick cases against a real `herald start`: a sample of every category (every third case)
 * and the live-stream flood. The whole corpus, with slow bodies on every route, runs in the fault suite
 * (test/faults/security.test.ts).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { expectUnharmed, runCorpus, startAbuseTarget, streamFlood, type AbuseTarget } from './abuse-run.ts';

let target: AbuseTarget;

beforeAll(async () => {
  target = await startAbuseTarget('abuse_quick');
}, 120_000);

afterAll(async () => {
  await target?.fault.close();
});

it('answers a sample of the abuse corpus as expected, never with a 5xx, storing nothing', async () => {
  const { cases, failures } = await runCorpus(target, 3);
  expect(cases).toBeGreaterThan(100);
  expect(failures).toEqual([]);
  await expectUnharmed(target, 200);
}, 240_000);

it('caps live streams per user and per process, and keeps answering', async () => {
  await streamFlood(target);
}, 60_000);
