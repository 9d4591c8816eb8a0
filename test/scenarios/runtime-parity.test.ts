/**
 * One engine, two drivers. Each shipped scenario (notifications/scenarios/*.scenario.ts) runs in the
 * simulator, then what it did — the trigger, engagements, events, heartbeats — is replayed on the real
 * runtime (HTTP API, Postgres, pg-boss timers, sandbox providers) with the bundle's waits shortened. The
 * sends must come out the same: same steps, channels and statuses, in the same order, and every run must
 * end the same way. Times are not compared (the runtime's are scaled); the order is.
 *
 * Replay rules, where the two worlds differ:
 * - Time: one virtual hour is `msPerHour` real ms, chosen per scenario so that no wait is clamped by
 *   `shorten` and every input lands at least 400 ms away from the timers around it.
 * - Heartbeats: `activeWithin` windows are not shortened, so a heartbeat is replayed right after the input
 *   before it (it stays "recent" for the whole scaled run) unless a branch reading activity runs in between.
 * - Send windows are read on the runtime's real clock: the replayed user gets a time zone where the window is
 *   open now. Excluded (and reported as skipped, with the reason): scenarios whose simulation deferred a send
 *   to a window, used `fail` (the sandbox providers cannot be told to fail), set `smsOptOut` (set by an
 *   inbound STOP in production), or relied on a heartbeat being stale (not reproducible unscaled).
 * - Tenants: a scenario's `tenant` is stored with `PUT /v1/tenants/:id` (a fresh id per replay) and named by the
 *   trigger and every replayed event.
 * - Moments: a delay until a date-time and a digest on a schedule wait for an absolute time, which cannot be
 *   scaled: their scenarios are excluded here (test/runtime/flows.test.ts runs a scheduled digest on the runtime).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, JsonValue, SendWindow, Step, Workflow } from '../../compiler/bundle/schema.ts';
import { isWindowOpen } from '../../compiler/bundle/window.ts';
import { loadScenarios } from '../../compiler/testing/collect.ts';
import { findScenarioFiles } from '../../compiler/testing/discover.ts';
import { runScenario } from '../../compiler/testing/run-scenario.ts';
import type { Simulation, SimInput } from '../../compiler/testing/simulate.ts';
import type { ScenarioDefinition } from '../../compiler/testing/scenario.ts';
import type { HistoryEntry } from '../../runtime/engine/index.ts';
import type { Runtime } from '../../runtime/server.ts';
import { client, eventually, exampleBundle, shorten, startTestRuntime, type Api, type MessageView } from '../runtime/harness.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const HOUR = 3_600_000;
/** How far (real ms) an input must be from the timers around it, for the runtime to order them as the simulator did. */
const MARGIN_MS = 400;
/** `shorten` never makes a wait shorter than 200 ms; staying above keeps every ratio exact. */
const SHORTEST_WAIT_MS = 250;

const { scenarios, problems } = await loadScenarios(findScenarioFiles(join(root, 'notifications')), root);

let base: Bundle;
let runtime: Runtime;
let api: Api;

beforeAll(async () => {
  base = await exampleBundle();
  runtime = await startTestRuntime('scenario-parity', { bundle: shorten(base, 1_000) });
  api = client(runtime);
}, 120_000);
afterAll(async () => {
  await runtime?.stop();
});

// ── what the simulation did ────────────────────────────────────────────────────────────────────────────────

function steps(list: Step[]): Step[] {
  return list.flatMap((s) => (s.kind === 'branch' ? [s, ...steps(s.arms.flatMap((a) => a.steps)), ...steps(s.otherwise)] : [s]));
}

function durations(workflow: Workflow): number[] {
  return steps(workflow.steps).flatMap((s) =>
    s.kind === 'delay' && 'durationMs' in s
      ? [s.durationMs]
      : s.kind === 'waitFor'
        ? [s.timeoutMs]
        : s.kind === 'digest' && 'windowMs' in s
          ? [s.windowMs]
          : [],
  );
}

function windows(workflow: Workflow): SendWindow[] {
  return [...(workflow.window ? [workflow.window] : []), ...steps(workflow.steps).flatMap((s) => (s.kind === 'send' && s.window ? [s.window] : []))];
}

function histories(sim: Simulation): HistoryEntry[] {
  const start = sim.state().history[0]?.at ?? 0;
  return sim.runs().flatMap((run) =>
    sim.state(run).history.map((h) => ({
      ...h,
      at: h.at - start,
      ...(typeof h.detail?.until === 'number' ? { detail: { ...h.detail, until: h.detail.until - start } } : {}),
    })),
  );
}

/** Does this explanation tree (of a branch arm) contain an `activeWithin` leaf matching `test`? */
function hasActivity(node: JsonValue | undefined, test: (leaf: Record<string, JsonValue>) => boolean): boolean {
  if (Array.isArray(node)) return node.some((n) => hasActivity(n, test));
  if (typeof node !== 'object' || node === null) return false;
  if (node.op === 'activeWithin' && test(node)) return true;
  return Object.values(node).some((v) => hasActivity(v, test));
}

function exclusion(def: ScenarioDefinition, sim: Simulation, history: HistoryEntry[]): string | null {
  if (def.options.fail?.length) return 'uses `fail`: the sandbox providers cannot be told to fail';
  const optOut = def.options.user?.smsOptOut === true || sim.inputs().some((i) => i.kind === 'profile' && i.patch.smsOptOut !== undefined);
  if (optOut) return 'sets smsOptOut, which production sets from an inbound STOP';
  if (history.some((h) => h.kind === 'send' && h.outcome === 'deferred'))
    return 'a send was deferred to its window, and the runtime reads windows on the real clock';
  if (steps(base.workflows[def.options.workflow]!.steps).some((s) => (s.kind === 'delay' && 'until' in s) || (s.kind === 'digest' && 'schedule' in s)))
    return 'waits for a moment (a delay until a date-time, a digest on a schedule): absolute times cannot be shortened';
  if (history.some((h) => h.kind === 'branch' && hasActivity(h.detail, (leaf) => leaf.lastActiveAt !== null && leaf.value === false))) {
    return 'relies on a stale heartbeat, and activeWithin windows are not shortened on the runtime';
  }
  return null;
}

/** A heartbeat may be replayed early when no branch reads activity between the input before it and itself. */
function earlyHeartbeats(inputs: SimInput[], history: HistoryEntry[]): Set<SimInput> {
  const reads = history.filter((h) => h.kind === 'branch' && hasActivity(h.detail, () => true)).map((h) => h.at);
  const early = new Set<SimInput>();
  inputs.forEach((input, i) => {
    const previous = i === 0 ? 0 : inputs[i - 1]!.ms;
    if (input.kind === 'heartbeat' && !reads.some((t) => t >= previous && t <= input.ms)) early.add(input);
  });
  return early;
}

/** Real ms per virtual hour: no clamped wait, inputs at least MARGIN_MS from each timer and from each other. */
function msPerHour(workflow: Workflow, inputs: SimInput[], history: HistoryEntry[], early: Set<SimInput>): number {
  let scale = 100;
  const shortest = Math.min(...durations(workflow));
  if (Number.isFinite(shortest)) scale = Math.max(scale, (SHORTEST_WAIT_MS * HOUR) / shortest);
  const timed = inputs.filter((i) => !early.has(i));
  const timers = [0, ...history.flatMap((h) => (typeof h.detail?.until === 'number' ? [h.detail.until] : []))];
  for (const input of timed) {
    const others = [...timers, ...timed.filter((o) => o !== input).map((o) => o.ms)];
    const gap = Math.min(...others.map((t) => Math.abs(t - input.ms)));
    if (gap === 0) throw new Error(`input ${input.kind} at ${input.at} coincides with a timer: the runtime cannot be made to order them`);
    scale = Math.max(scale, (MARGIN_MS * HOUR) / gap);
  }
  return Math.ceil(scale);
}

/** A zone where every window of the workflow is open from now until `until`. */
function openZone(list: SendWindow[], until: number): string {
  const zones = [
    'UTC',
    'Europe/Paris',
    'Asia/Tokyo',
    'America/New_York',
    'America/Los_Angeles',
    'Asia/Kolkata',
    'Pacific/Auckland',
    'America/Sao_Paulo',
    'Asia/Dubai',
    'Pacific/Honolulu',
  ];
  const zone = zones.find((z) => list.every((w) => isWindowOpen(w, z, Date.now()) && isWindowOpen(w, z, until)));
  if (!zone) throw new Error('no time zone has the send window open right now');
  return zone;
}

// ── the runtime side ──────────────────────────────────────────────────────────────────────────────────────

interface RunView {
  id: string;
  workflow: string;
  status: string;
  currentStep: string | null;
  history: HistoryEntry[];
  messages: MessageView[];
}

const sleepUntil = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
const getRun = async (id: string) => (await api<{ run: RunView }>('GET', `/v1/runs/${id}`)).body.run;
const FINISHED = ['completed', 'cancelled', 'failed'];

/** The send sequence of runs as the engine recorded it, each message checked against the message log. */
function runtimeSends(runs: RunView[]): string[] {
  const out: { at: number; order: number; key: string }[] = [];
  for (const run of runs) {
    const logged = new Map(run.messages.map((m) => [m.id, m]));
    const seen = new Set<string>();
    for (const h of run.history) {
      if (h.kind !== 'send' || !Array.isArray(h.detail?.messages)) continue;
      for (const m of h.detail.messages as { messageId: string; channel: string; status: string }[]) {
        const row = logged.get(m.messageId);
        // The log must hold what the engine was told; engagements may have moved a sent message's status on.
        expect(row, `message ${m.messageId} of ${h.stepId}`).toMatchObject({ step: h.stepId, channel: m.channel });
        expect(['sent', 'delivered', 'seen', 'read', 'opened', 'clicked'].includes(row!.status) ? 'sent' : row!.status).toBe(m.status);
        seen.add(m.messageId);
        out.push({ at: h.at, order: out.length, key: `${h.stepId}/${m.channel}/${m.status}` });
      }
    }
    // Messages the driver logged on its own (a throttle's held-back sends) come after, by step and channel.
    for (const m of run.messages.filter((x) => !seen.has(x.id)).sort((a, b) => `${a.step}/${a.channel}`.localeCompare(`${b.step}/${b.channel}`))) {
      out.push({ at: Number.MAX_SAFE_INTEGER, order: out.length, key: `${m.step}/${m.channel}/${m.status}` });
    }
  }
  return out.sort((a, b) => a.at - b.at || a.order - b.order).map((x) => x.key);
}

async function replay(index: number, def: ScenarioDefinition, sim: Simulation, inputs: SimInput[], scale: number, early: Set<SimInput>): Promise<RunView[]> {
  const workflow = base.workflows[def.options.workflow]!;
  const userId = `parity-${index}-${Date.now()}`;
  const { id: _id, smsOptOut: _optOut, ...profile } = def.options.user ?? {};
  const realMs = (virtual: number) => (virtual * scale) / HOUR;
  const zoneNeeded = windows(workflow);
  const replayed = zoneNeeded.length ? { ...profile, timezone: openZone(zoneNeeded, Date.now() + realMs(sim.elapsed().ms) + 30_000) } : profile;
  expect((await api('PUT', `/v1/users/${userId}`, replayed)).status).toBe(200);
  if (def.options.preferences) expect((await api('PUT', `/v1/users/${userId}/preferences`, { categories: def.options.preferences })).status).toBe(200);
  await runtime.loadBundle(shorten(base, scale));
  // A scenario's tenant is data on the runtime: stored under a fresh id, named by the trigger and each event.
  const { id: tenantName, ...tenantBody } = def.options.tenant ?? { id: null };
  const tenant = tenantName === null ? {} : { tenant: `${tenantName}-${userId}` };
  if (tenant.tenant) expect((await api('PUT', `/v1/tenants/${tenant.tenant}`, tenantBody)).status).toBe(201);

  const trigger = await api<{ runs: string[] }>('POST', `/v1/workflows/${workflow.id}/trigger`, { userId, data: sim.state().data, ...tenant });
  expect(trigger.status).toBe(202);
  const t0 = Date.now();
  const runIds = [...trigger.body.runs];
  const runFor = (name: string) => runIds[sim.runs().indexOf(name)]!;

  for (const input of inputs) {
    if (!early.has(input)) await sleepUntil(t0 + realMs(input.ms));
    switch (input.kind) {
      case 'engage': {
        // An in-app report (sim.read/seen/click) names the step's in-app message, as the inbox does.
        const message = await eventually(`a sent ${input.step} message`, async () =>
          (await getRun(runFor(input.run))).messages.find(
            (m) => m.step === input.step && m.status !== 'skipped' && m.status !== 'failed' && (input.channel === undefined || m.channel === input.channel),
          ),
        );
        expect((await api('POST', `/v1/messages/${message.id}/events`, { event: input.engagement })).status).toBe(202);
        break;
      }
      case 'event': {
        const r = await api<{ runs: string[] }>('POST', '/v1/events', { event: input.event, userId, properties: input.data, ...tenant });
        expect(r.status).toBe(202);
        // The event may start other workflows too (checkout_completed starts the receipt): keep this one's runs.
        for (const id of r.body.runs) if ((await getRun(id)).workflow === workflow.id) runIds.push(id);
        break;
      }
      case 'heartbeat':
        expect((await api('POST', `/v1/users/${userId}/heartbeat`)).status).toBe(200);
        break;
      case 'profile': {
        const { id: _pid, smsOptOut: _p, ...patch } = input.patch;
        expect((await api('PUT', `/v1/users/${userId}`, patch)).status).toBe(200);
        break;
      }
      case 'cancel':
        expect((await api('POST', `/v1/runs/${runFor(input.run)}/cancel`)).status).toBe(200);
        break;
    }
  }
  // Every run the simulation finished must finish here too; a run the simulation left waiting is read at the
  // scaled end of the scenario, once it waits at the same step (a timer due right at the end may still be firing).
  const simFinished = sim.runs().map((r) => FINISHED.includes(sim.status(r)));
  const simWaitingAt = sim.runs().map((r) => sim.state(r).waiting?.stepId ?? null);
  await sleepUntil(t0 + (simFinished.every(Boolean) ? 0 : realMs(sim.elapsed().ms)));
  return eventually(
    'the runs to end as in the simulation',
    async () => {
      if (runIds.length !== sim.runs().length) return null;
      const runs = await Promise.all(runIds.map(getRun));
      return runs.every((r, i) => (simFinished[i] ? FINISHED.includes(r.status) : r.currentStep === simWaitingAt[i])) ? runs : null;
    },
    30_000,
  );
}

// ── the proof ─────────────────────────────────────────────────────────────────────────────────────────────

describe('scenarios: the simulator and the runtime send the same messages', () => {
  it('loads every shipped scenario file', () => {
    expect(problems).toEqual([]);
    expect(scenarios.length).toBeGreaterThanOrEqual(10);
  });

  for (const [index, { definition, file, display }] of scenarios.entries()) {
    it(definition.name, async (ctx) => {
      const { result, sim } = await runScenario(base, definition, file, display);
      expect(result.ok, `${result.failure?.message}\n${result.timeline.join('\n')}`).toBe(true);
      const history = histories(sim!);
      const excluded = exclusion(definition, sim!, history);
      if (excluded) return ctx.skip(excluded);
      // One copy of the inputs throughout: `early` holds some of these very objects.
      const inputs = sim!.inputs();
      const early = earlyHeartbeats(inputs, history);
      const scale = msPerHour(base.workflows[definition.options.workflow]!, inputs, history, early);

      const runs = await replay(index, definition, sim!, inputs, scale, early);

      const simSends = sim!.messages().map((m) => `${m.step}/${m.channel}/${m.status}`);
      expect(runtimeSends(runs), `${msPerHourNote(scale)}\nsimulated timeline:\n${String(sim)}`).toEqual(simSends);
      expect(runs.map((r) => r.status)).toEqual(sim!.runs().map((r) => sim!.status(r)));
    }, 60_000);
  }
});

const msPerHourNote = (scale: number) => `(replayed at ${scale} ms per virtual hour)`;
