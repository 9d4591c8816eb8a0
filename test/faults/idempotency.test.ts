/**
 * Fault case: 10,000 concurrent triggers with duplicated idempotency keys — exactly one run per key.
 *
 * 2,500 keys × 4 identical copies, shuffled with a fixed seed so that copies of one key race each other,
 * fired at `POST /v1/events` of a runtime spawned as a real process, 256 requests in flight over a
 * keep-alive pool. Every reply must be 202 and, for one key, the same body; the database must then hold
 * exactly one run and one logged event per key and no run that no reply names. The same is then done with
 * the event's own dedupe (`messageId`, no header), and a key reused with another body must get 422.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { reportFigure } from './report.ts';
import { FAULT_API_KEY, inParallel, outputTail, pool, seeded, send, shuffle, startFaultRuntime, type FaultRuntime, type Reply } from './support.ts';

const KEYS = 2_500;
const COPIES = 4;
const IN_FLIGHT = 256;
const MESSAGE_IDS = 500;

let fault: FaultRuntime;
const agent = pool(IN_FLIGHT);

beforeAll(async () => {
  fault = await startFaultRuntime('fault_idempotency');
});

afterAll(async () => {
  agent.destroy();
  await fault?.close();
});

interface Shot {
  id: number;
  copy: number;
}

/** Fires every shot of `plan` at /v1/events and keeps each reply under its id, in the order they came. */
async function fire(plan: Shot[], request: (id: number) => { body: string; headers: Record<string, string> }) {
  const replies = new Map<number, Reply[]>();
  const spans = new Map<number, [number, number][]>();
  const failures: string[] = [];
  const started = performance.now();
  await inParallel(plan.length, IN_FLIGHT, async (i) => {
    const { id } = plan[i]!;
    const { body, headers } = request(id);
    const sentAt = performance.now();
    try {
      const reply = await send(`${fault.runtime.url}/v1/events`, {
        agent,
        body,
        timeoutMs: 60_000,
        headers: { authorization: `Bearer ${FAULT_API_KEY}`, 'content-type': 'application/json', ...headers },
      });
      replies.set(id, [...(replies.get(id) ?? []), reply]);
      spans.set(id, [...(spans.get(id) ?? []), [sentAt, performance.now()]]);
    } catch (error) {
      failures.push(`${id}: ${(error as Error).message}`);
    }
  });
  return { replies, spans, failures, seconds: (performance.now() - started) / 1000 };
}

function byStatus(replies: Map<number, Reply[]>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const list of replies.values()) for (const r of list) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}

/** Keys whose replies are not all 202 with one same body, with what came back instead. */
function inconsistent(replies: Map<number, Reply[]>): string[] {
  const problems: string[] = [];
  for (const [id, list] of replies) {
    const bodies = new Set(list.map((r) => JSON.stringify(r.json)));
    const statuses = list.map((r) => r.status);
    if (statuses.some((s) => s !== 202) || bodies.size !== 1) problems.push(`${id}: statuses ${statuses.join(',')}, bodies ${[...bodies].join(' | ')}`);
  }
  return problems;
}

/**
 * The copies of each id, in flight together: ids in a seeded random order, each id's copies side by side,
 * then shuffled within blocks of 64 shots (a quarter of what is in flight), so copies interleave with other
 * ids' copies and reach the server at the same moment.
 */
function plan(ids: number, seed: number): Shot[] {
  const random = seeded(seed);
  const order = shuffle(
    Array.from({ length: ids }, (_, i) => i),
    random,
  );
  const shots = order.flatMap((id) => Array.from({ length: COPIES }, (_, copy) => ({ id, copy })));
  const blocks: Shot[] = [];
  for (let i = 0; i < shots.length; i += 64) blocks.push(...shuffle(shots.slice(i, i + 64), random));
  return blocks;
}

/** Ids at least two of whose copies were in flight at the same time (the race this case is about). */
function raced(replies: Map<number, Reply[]>, spans: Map<number, [number, number][]>): number {
  let n = 0;
  for (const id of replies.keys()) {
    const list = [...(spans.get(id) ?? [])].sort((a, b) => a[0] - b[0]);
    if (list.some((span, i) => i > 0 && span[0] < list[i - 1]![1])) n++;
  }
  return n;
}

it('10,000 triggers with duplicated Idempotency-Keys, 256 in flight: exactly one run per key', async () => {
  const context = () => outputTail(fault.runtime);
  const shots = plan(KEYS, 0x1de4);
  const body = (k: number) => JSON.stringify({ event: 'fault_ping', userId: `idem-user-${k}`, properties: { n: k } });
  const keyed = await fire(shots, (k) => ({ body: body(k), headers: { 'idempotency-key': `idem-key-${k}` } }));
  const statuses = byStatus(keyed.replies);
  const racedKeys = raced(keyed.replies, keyed.spans);

  expect(keyed.failures, `requests that got no answer:\n${keyed.failures.slice(0, 10).join('\n')}\n${context()}`).toEqual([]);
  expect(keyed.replies.size).toBe(KEYS);
  expect(
    inconsistent(keyed.replies).slice(0, 10),
    `keys answered with another status or differing bodies (replies by status ${JSON.stringify(statuses)})\n${context()}`,
  ).toEqual([]);

  // Copies that ran one after the other would test a replay, not a race.
  expect(racedKeys, 'keys at least two of whose copies were in flight together').toBeGreaterThan(KEYS * 0.9);

  // Each key's one answer names exactly one run, and no two keys share one.
  const runOfKey = new Map<number, string>();
  for (const [k, list] of keyed.replies) {
    const named = (list[0]!.json as { runs?: string[] }).runs ?? [];
    expect(named, `key ${k}: ${list[0]!.text}`).toHaveLength(1);
    runOfKey.set(k, named[0]!);
  }
  expect(new Set(runOfKey.values()).size).toBe(KEYS);

  const { rows: runs } = await fault.db.query<{ id: string; user_id: string }>(`SELECT id, user_id FROM herald.runs WHERE workflow = 'fault-ping'`);
  const { rows: keys } = await fault.db.query<{ key: string; status: number; runs: string[] }>(
    `SELECT key, status, response->'runs' AS runs FROM herald.idempotency`,
  );
  const { rows: events } = await fault.db.query<{ user_id: string; n: number }>(
    `SELECT user_id, count(*)::int AS n FROM herald.events WHERE event = 'fault_ping' GROUP BY user_id`,
  );
  const replied = new Set(runOfKey.values());
  const orphans = runs.filter((r) => !replied.has(r.id));
  const keyOfRun = new Map([...runOfKey].map(([k, id]) => [id, k]));
  const misfiled = runs.filter((r) => r.user_id !== `idem-user-${keyOfRun.get(r.id)}`);

  expect(runs.length, `runs in herald.runs for ${KEYS} keys`).toBe(KEYS);
  expect(
    orphans.map((r) => r.id),
    'runs that no reply names (a run without its key)',
  ).toEqual([]);
  expect(misfiled.slice(0, 5), "runs filed under another key's user").toEqual([]);
  expect(keys.length, 'rows in herald.idempotency').toBe(KEYS);
  expect(keys.filter((k) => k.status !== 202 || k.runs?.length !== 1 || !replied.has(k.runs[0]!)).slice(0, 5), 'stored answers').toEqual([]);
  expect(events.length, 'users with a logged event').toBe(KEYS);
  expect(events.filter((e) => e.n !== 1).slice(0, 5), 'users whose event was logged more than once').toEqual([]);

  // The event's own dedupe: the same messageId four times, no header. One run and one logged event each.
  const dedupe = await fire(plan(MESSAGE_IDS, 0x3e55), (m) => ({
    body: JSON.stringify({ event: 'fault_ping', userId: `msg-user-${m}`, properties: { n: m }, messageId: `msg-${m}` }),
    headers: {},
  }));
  const dedupeStatuses = byStatus(dedupe.replies);
  expect(dedupe.failures, `requests that got no answer:\n${dedupe.failures.slice(0, 10).join('\n')}`).toEqual([]);
  expect(dedupeStatuses, context()).toEqual({ 202: MESSAGE_IDS * COPIES });
  const sameRuns = [...dedupe.replies].filter(([, list]) => new Set(list.map((r) => JSON.stringify((r.json as { runs?: unknown }).runs))).size !== 1);
  expect(sameRuns.map(([m, list]) => `${m}: ${list.map((r) => r.text).join(' | ')}`).slice(0, 5), 'messageIds answered with different runs').toEqual([]);
  const firsts = [...dedupe.replies.values()].map((list) => list.filter((r) => (r.json as { duplicate?: boolean }).duplicate !== true).length);
  expect(firsts.filter((n) => n !== 1).length, 'messageIds not accepted exactly once (the other copies must say duplicate: true)').toBe(0);
  const { rows: dedupeRows } = await fault.db.query<{ runs: number; events: number; users: number }>(`SELECT
    (SELECT count(*)::int FROM herald.runs WHERE user_id LIKE 'msg-user-%') AS runs,
    (SELECT count(*)::int FROM herald.events WHERE message_id LIKE 'msg-%') AS events,
    (SELECT count(DISTINCT user_id)::int FROM herald.runs WHERE user_id LIKE 'msg-user-%') AS users`);
  expect(dedupeRows[0]).toEqual({ runs: MESSAGE_IDS, events: MESSAGE_IDS, users: MESSAGE_IDS });

  // A key reused with another body is a conflict, not a replay, and starts nothing.
  const before = await fault.db.query<{ n: number }>('SELECT count(*)::int AS n FROM herald.runs');
  const conflict = await send(`${fault.runtime.url}/v1/events`, {
    agent,
    body: JSON.stringify({ event: 'fault_ping', userId: 'idem-user-7', properties: { n: -7 } }),
    headers: { authorization: `Bearer ${FAULT_API_KEY}`, 'content-type': 'application/json', 'idempotency-key': 'idem-key-7' },
  });
  expect(conflict.status, conflict.text).toBe(422);
  expect(conflict.json).toMatchObject({ error: { code: 'idempotency_conflict' } });
  const after = await fault.db.query<{ n: number }>('SELECT count(*)::int AS n FROM herald.runs');
  expect(after.rows[0]!.n).toBe(before.rows[0]!.n);

  expect(fault.runtime.child.exitCode, context()).toBeNull();
  reportFigure('idempotency', {
    requests: shots.length,
    distinctKeys: KEYS,
    copiesPerKey: COPIES,
    inFlight: IN_FLIGHT,
    keysWhoseCopiesRaced: racedKeys,
    runsCreated: runs.length,
    repliesByStatus: statuses,
    wallSeconds: +keyed.seconds.toFixed(2),
    requestsPerSecond: Math.round(shots.length / keyed.seconds),
    messageIdDedupe: {
      requests: MESSAGE_IDS * COPIES,
      distinctMessageIds: MESSAGE_IDS,
      runsCreated: dedupeRows[0]!.runs,
      repliesByStatus: dedupeStatuses,
      wallSeconds: +dedupe.seconds.toFixed(2),
    },
    reusedKeyWithAnotherBody: conflict.status,
  });
});
