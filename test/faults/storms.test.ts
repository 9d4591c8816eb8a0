/**
 * Fault case: "provider storms: 429 with Retry-After, 5xx for 60 s, timeouts — retries respect the hints,
 * failover engages, no tight loops."
 *
 * An email channel with two SendGrid accounts in failover order (sg-primary, then sg-secondary; no sandbox
 * behind them), each its own fake reached through a relay that stamps every request's arrival (the fakes keep
 * what they received, not when). Each storm runs on a runtime process of its own, so that one storm's
 * circuit-breaker state does not carry into the next; the three run side by side (most of their time is
 * spent waiting on the clock), and the figure is reported in afterAll, whatever happened.
 *
 * Retry policy and breaker are the runtime's defaults (runtime/delivery/providers/retry.ts, health.ts): 3 attempts per
 * provider with full-jitter backoff from 250 ms, Retry-After honoured up to 10 s; the breaker opens at a 50%
 * failure rate over at least 5 attempts in a minute, skips the provider for 30 s, then lets one probe through.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeSendgrid, type FakeProvider } from '../fakes/providers.ts';
import { freshDatabase } from '../setup/database.ts';
import { spawnRuntime, writeBundleFile, type RuntimeProcess } from '../setup/runtime-process.ts';
import { reportFigure } from './report.ts';
import {
  API_KEY,
  PRIMARY_KEY,
  perSecond,
  providerEnv,
  round,
  runStatuses,
  SECONDARY_KEY,
  sendBundle,
  startStampingRelay,
  steadyLoad,
  tail,
  trigger,
  waitFor,
  withProviderUrls,
  type Stamp,
  type StampingRelay,
  type TriggerOutcome,
  messageLog,
} from './delivery-support.ts';

/** The issue's storm length, kept: the file stays within ~2.5 minutes. */
const STORM_MS = 60_000;
const BREAKER_COOL_DOWN_MS = 30_000;
const PROVIDER_TIMEOUT_MS = 10_000;
const RETRY_ATTEMPTS = 3;
/** Stamps are whole milliseconds, and a timer may fire a millisecond early. */
const CLOCK_TOLERANCE_MS = 5;

let dir: string;
const phases: Phase[] = [];
const figure: Record<string, unknown> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'herald-fault-storms-'));
  await sendBundle();
});

afterAll(async () => {
  reportFigure('storms', figure);
  await Promise.all(phases.map((p) => p.close()));
  rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------------
// One storm's world: a database, two fakes behind stamping relays, a runtime process

type Which = 'primary' | 'secondary';

interface Phase {
  name: string;
  databaseUrl: string;
  fakes: Record<Which, FakeProvider>;
  relays: Record<Which, StampingRelay>;
  runtime: RuntimeProcess;
  close(): Promise<void>;
}

async function startPhase(name: string): Promise<Phase> {
  const databaseUrl = await freshDatabase(`fault_storm_${name}`);
  const fakes = { primary: await startFakeSendgrid({ apiKey: PRIMARY_KEY }), secondary: await startFakeSendgrid({ apiKey: SECONDARY_KEY }) };
  const relays = { primary: await startStampingRelay(fakes.primary.url), secondary: await startStampingRelay(fakes.secondary.url) };
  const bundle = withProviderUrls(await sendBundle(), { primary: relays.primary.url, secondary: relays.secondary.url });
  const runtime = await spawnRuntime({
    bundlePath: writeBundleFile(bundle, join(dir, name)),
    databaseUrl,
    apiKey: API_KEY,
    env: providerEnv,
    startTimeoutMs: 60_000,
  });
  const phase: Phase = {
    name,
    databaseUrl,
    fakes,
    relays,
    runtime,
    async close() {
      await runtime.stop();
      await Promise.all([...Object.values(relays), ...Object.values(fakes)].map((x) => x.close()));
    },
  };
  phases.push(phase);
  return phase;
}

const accepted = (s: Stamp) => s.status !== null && s.status < 300;

/** Per run: how many times each provider accepted its email. */
function deliveries(phase: Phase): Map<string, Record<Which, number>> {
  const byRun = new Map<string, Record<Which, number>>();
  for (const which of ['primary', 'secondary'] as const) {
    for (const stamp of phase.relays[which].stamps.filter(accepted)) {
      const counts = byRun.get(stamp.runId ?? '?') ?? { primary: 0, secondary: 0 };
      counts[which]++;
      byRun.set(stamp.runId ?? '?', counts);
    }
  }
  return byRun;
}

/** Delivered (once or more), lost (never) and duplicated (more than once, across both providers) runs. */
function tally(phase: Phase, runIds: string[]) {
  const byRun = deliveries(phase);
  const total = (id: string) => (byRun.get(id)?.primary ?? 0) + (byRun.get(id)?.secondary ?? 0);
  return {
    delivered: runIds.filter((id) => total(id) > 0).length,
    lost: runIds.filter((id) => total(id) === 0),
    duplicates: runIds.filter((id) => total(id) > 1),
    byPrimary: runIds.filter((id) => (byRun.get(id)?.primary ?? 0) > 0).length,
    bySecondary: runIds.filter((id) => (byRun.get(id)?.secondary ?? 0) > 0).length,
  };
}

/** Waits until every run is completed and its email accepted by a provider. */
async function allDelivered(phase: Phase, runIds: string[], timeoutMs: number): Promise<void> {
  await waitFor(
    `all ${runIds.length} runs to complete with their email accepted`,
    async () => {
      const statuses = await runStatuses(phase.databaseUrl);
      return tally(phase, runIds).lost.length === 0 && runIds.every((id) => statuses.get(id) === 'completed');
    },
    timeoutMs,
    () => `${tally(phase, runIds).lost.length} not delivered yet\n${tail(phase.runtime)}`,
  );
}

function runsOf(outcomes: TriggerOutcome[], phase: Phase): string[] {
  const refused = outcomes.filter((o) => o.status !== 202);
  expect(
    refused.map((o) => `#${o.n} ${o.status || o.transport}`),
    `triggers refused\n${tail(phase.runtime)}`,
  ).toEqual([]);
  return outcomes.flatMap((o) => o.runs);
}

const stampsFor = (relay: StampingRelay, runId: string) => relay.stamps.filter((s) => s.runId === runId).sort((a, b) => a.at - b.at);

/** What each provider saw of a run, and what the runtime logged of it. */
async function explain(phase: Phase, runId: string): Promise<string> {
  const seen = (['primary', 'secondary'] as const).map(
    (w) =>
      `${w}: ${
        stampsFor(phase.relays[w], runId)
          .map((s) => `${new Date(s.at).toISOString()} ${s.status ?? (s.abandoned ? 'abandoned' : 'pending')}`)
          .join(', ') || '-'
      }`,
  );
  return `${seen.join('\n')}\n${await messageLog(phase.databaseUrl, runId)}\nprimary's health: ${JSON.stringify(await primaryHealth(phase))}`;
}

// ---------------------------------------------------------------------------------------------------------

interface Health {
  state: string;
  totals: { attempts: number; failures: number };
}

/** The primary's health in the runtime process, as /v1/providers reports it (undefined when unreachable). */
async function primaryHealth(phase: Phase): Promise<Health | undefined> {
  try {
    const r = await fetch(`${phase.runtime.url}/v1/providers`, { headers: { authorization: `Bearer ${API_KEY}` } });
    const body = (await r.json()) as { providers: { id: string; health: Health }[] };
    return body.providers.find((p) => p.id === 'sg-primary')?.health;
  } catch {
    return undefined;
  }
}

/** The primary's breaker state, sampled twice a second until `stop()`. */
function watchBreaker(phase: Phase) {
  const samples: { at: number; state: string }[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const health = await primaryHealth(phase);
      if (health) samples.push({ at: Date.now(), state: health.state });
      await sleep(500);
    }
  })();
  return {
    samples,
    async stop() {
      running = false;
      await loop;
    },
  };
}

it.concurrent('waits out a 429 Retry-After before asking the same provider again, and fails over when the hint is too long', async () => {
  const phase = await startPhase('retry_after');
  const { primary, secondary } = phase.relays;
  // Sends one after the other (the fake's script is one queue), each first answered by a 429 asking for 1 s:
  // the retry must come no sooner. A rate limit with a hint is the provider working as documented, so however
  // many sends are limited, the breaker stays closed (runtime/delivery/failover.ts).
  const honoured = 4;
  const first: string[] = [];
  for (let n = 0; n < honoured; n++) {
    phase.fakes.primary.respondWith({ status: 429, headers: { 'retry-after': '1' } });
    const [id] = runsOf([await trigger(phase.runtime.url, n)], phase);
    await allDelivered(phase, [id!], 30_000);
    first.push(id!);
  }
  const gaps: number[] = [];
  for (const id of first) {
    const attempts = stampsFor(primary, id);
    expect(
      attempts.map((s) => s.status),
      `run ${id}: answers from the primary\n${await explain(phase, id)}`,
    ).toEqual([429, 202]);
    gaps.push(attempts[1]!.at - attempts[0]!.at);
  }

  // A hint longer than a job may wait (Retry-After: 30, past the 10 s a job waits): straight to the next provider.
  phase.fakes.primary.respondWith({ status: 429, headers: { 'retry-after': '30' } });
  const [long] = runsOf([await trigger(phase.runtime.url, 100)], phase);
  await allDelivered(phase, [long!], 30_000);
  const askedPrimary = stampsFor(primary, long!);
  const askedSecondary = stampsFor(secondary, long!);
  const failoverMs = askedSecondary[0]!.at - askedPrimary[0]!.at;
  const counts = tally(phase, [...first, long!]);
  const breakerAfter = (await primaryHealth(phase)) ?? null;

  figure.retryAfter = {
    retryAfterSeconds: 1,
    sends: honoured,
    minGapAfterRetryAfterMs: Math.min(...gaps),
    maxGapAfterRetryAfterMs: Math.max(...gaps),
    longHint: { retryAfterSeconds: 30, requestsToPrimary: askedPrimary.length, failoverAfterMs: failoverMs },
    requests: { primary: primary.stamps.length, secondary: secondary.stamps.length },
    // Rate limits with a hint are not failures to the breaker.
    primaryBreakerAfter: breakerAfter && { state: breakerAfter.state, attempts: breakerAfter.totals.attempts, failures: breakerAfter.totals.failures },
    delivered: counts.delivered,
    lost: counts.lost.length,
    duplicates: counts.duplicates.length,
  };

  expect(Math.min(...gaps), 'the soonest retry after "Retry-After: 1", in ms').toBeGreaterThanOrEqual(1_000 - CLOCK_TOLERANCE_MS);
  expect(Math.max(...gaps), 'the latest retry after "Retry-After: 1" (the hint, not a longer backoff), in ms').toBeLessThan(2_500);
  expect(breakerAfter?.state, "the primary's breaker after rate limits that said when to come back").toBe('closed');
  expect(
    askedPrimary.map((s) => s.status),
    'the primary, asked once when its hint is beyond 10 s',
  ).toEqual([429]);
  expect(
    askedSecondary.map((s) => s.status),
    'the secondary serves it',
  ).toEqual([202]);
  expect(failoverMs, 'the failover waits for nothing (not the hint, not a backoff), in ms').toBeLessThan(1_000);
  expect(counts.lost).toEqual([]);
  expect(counts.duplicates).toEqual([]);
});

it.concurrent(`fails over through a ${STORM_MS / 1000} s 5xx storm, opens the breaker (no tight loop), and returns to the primary after it`, async () => {
  const phase = await startPhase('5xx');
  const { primary, secondary } = phase.relays;
  const load = steadyLoad(() => phase.runtime.url, 250);
  const breaker = watchBreaker(phase);
  await sleep(5_000);

  const stormStart = Date.now();
  phase.fakes.primary.setDefault({ status: 503 });
  await sleep(STORM_MS);
  phase.fakes.primary.setDefault(undefined);
  const stormEnd = Date.now();

  // After the storm, the breaker's next probe finds the primary healthy and sends go back to it.
  const back = await waitFor(
    'a send accepted by the primary after the storm',
    async () => primary.stamps.find((s) => s.at >= stormEnd && accepted(s)),
    BREAKER_COOL_DOWN_MS + 15_000,
    () => tail(phase.runtime),
  );
  await sleep(5_000);
  const outcomes = await load.stop();
  await breaker.stop();
  const runIds = runsOf(outcomes, phase);
  await allDelivered(phase, runIds, 60_000);

  const opened = breaker.samples.find((s) => s.at >= stormStart && s.state === 'open');
  const during = perSecond(primary.stamps, stormStart, stormEnd);
  // Once open, only probes (one per cool-down) reach the primary; sends already between retries when it
  // opened may make their next attempt in the few seconds after (the backoff caps at 4 s).
  const settledFrom = (opened?.at ?? stormEnd) + 5_000;
  const afterOpen = primary.stamps.filter((s) => s.at >= settledFrom && s.at < stormEnd);
  const probesAllowed = Math.ceil((stormEnd - settledFrom) / BREAKER_COOL_DOWN_MS) + 1;
  const sentAfterBack = outcomes.filter((o) => o.at >= back.at + 1_000).flatMap((o) => o.runs);
  const afterBack = tally(phase, sentAfterBack);
  const counts = tally(phase, runIds);
  // Sent once the breaker had settled and before the storm's last second (a send then may meet a healthy probe).
  const stormRuns = outcomes.filter((o) => o.at >= settledFrom && o.at < stormEnd - 1_000).flatMap((o) => o.runs);

  figure.storm5xx = {
    stormSeconds: STORM_MS / 1000,
    triggersPerSecond: 4,
    accepted: runIds.length,
    requests: { primary: primary.stamps.length, secondary: secondary.stamps.length },
    primaryRequestsDuringStorm: during.reduce((a, b) => a + b, 0),
    maxPrimaryRequestsPerSecondDuringStorm: Math.max(...during),
    primaryRequestsOnceOpen: afterOpen.length,
    breakerOpenedAfterSeconds: opened ? round((opened.at - stormStart) / 1000, 1) : null,
    primaryBackAfterStormSeconds: round((back.at - stormEnd) / 1000, 1),
    deliveredBy: { primary: counts.byPrimary, secondary: counts.bySecondary },
    delivered: counts.delivered,
    lost: counts.lost.length,
    duplicates: counts.duplicates.length,
  };

  expect(opened, `the breaker never opened; states seen: ${[...new Set(breaker.samples.map((s) => s.state))].join(', ')}`).toBeDefined();
  expect(
    afterOpen.length,
    `requests to the primary once its breaker was open: ${afterOpen.map((s) => new Date(s.at).toISOString()).join(', ')}`,
  ).toBeLessThanOrEqual(probesAllowed);
  expect(Math.max(...during), `requests per second to the failing primary: ${during.join(' ')}`).toBeLessThanOrEqual(25);
  expect(tally(phase, stormRuns).bySecondary, 'sends during the storm served by the secondary').toBe(stormRuns.length);
  expect(sentAfterBack.length, 'sends after the primary came back').toBeGreaterThan(0);
  expect(afterBack.byPrimary, 'sends after the primary came back, served by it').toBe(sentAfterBack.length);
  expect(counts.lost, 'runs whose email no provider accepted').toEqual([]);
  expect(counts.duplicates, 'runs whose email was accepted twice').toEqual([]);
});

it.concurrent('retries a provider that never answers a bounded number of times, then fails over', async () => {
  const phase = await startPhase('timeouts');
  const { primary, secondary } = phase.relays;
  // Answers after the adapter's 10 s timeout: the adapter has hung up by then, as on a stalled provider.
  phase.fakes.primary.setDefault({ status: 202, delayMs: PROVIDER_TIMEOUT_MS + 5_000 });
  const sends = 2;
  const started = Date.now();
  const runIds = runsOf(await Promise.all(Array.from({ length: sends }, (_, n) => trigger(phase.runtime.url, n))), phase);
  const bound = RETRY_ATTEMPTS * PROVIDER_TIMEOUT_MS + 4_000 + 10_000;
  await allDelivered(phase, runIds, bound);
  const tookMs = Date.now() - started;

  const perRun = runIds.map((id) => {
    const attempts = stampsFor(primary, id);
    const gaps = attempts.slice(1).map((s, i) => s.at - attempts[i]!.at);
    return {
      attempts: attempts.length,
      abandoned: attempts.every((s) => s.abandoned),
      minGapMs: gaps.length ? Math.min(...gaps) : null,
      secondary: stampsFor(secondary, id).map((s) => s.status),
    };
  });
  const counts = tally(phase, runIds);

  figure.timeouts = {
    adapterTimeoutMs: PROVIDER_TIMEOUT_MS,
    sends,
    requests: { primary: primary.stamps.length, secondary: secondary.stamps.length },
    primaryAttemptsPerSend: perRun.map((r) => r.attempts),
    minGapBetweenAttemptsMs: Math.min(...perRun.map((r) => r.minGapMs ?? Infinity)),
    deliveredAfterSeconds: round(tookMs / 1000, 1),
    delivered: counts.delivered,
    lost: counts.lost.length,
    duplicates: counts.duplicates.length,
  };

  for (const [i, run] of perRun.entries()) {
    expect(run.attempts, `send ${i}: attempts at the silent primary`).toBeGreaterThanOrEqual(2);
    expect(run.attempts, `send ${i}: attempts at the silent primary`).toBeLessThanOrEqual(RETRY_ATTEMPTS);
    expect(run.abandoned, `send ${i}: every attempt at the primary ended by the adapter's timeout`).toBe(true);
    expect(run.minGapMs, `send ${i}: the soonest re-attempt (after a timeout, never at once)`).toBeGreaterThanOrEqual(PROVIDER_TIMEOUT_MS - CLOCK_TOLERANCE_MS);
    expect(run.secondary, `send ${i}: the secondary serves it`).toEqual([202]);
  }
  expect(counts.lost).toEqual([]);
  expect(counts.duplicates).toEqual([]);
});
