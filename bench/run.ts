/**
 * `npm run bench [-- --quick] [-- --only endToEnd,memory]`: every benchmark, JSON on stdout and in
 * bench/results.json (`npx tsx bench/report.ts` turns it into the table of docs/performance.md). Each figure
 * is reported next to a baseline measured in the same run, on the same database server.
 * `--only` runs the named sections and merges them into the existing results.json (`runtime`, the earlier
 * in-process runtime benchmark, runs only when named).
 * `scale` (bench/scale.ts) takes `--scale-messages=N` (or HERALD_BENCH_SCALE_MESSAGES) for the size of its
 * message history, and runs the fault suite's random-kill case only when named (`--only scale`) or with `--kills`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { benchAudiences } from './audiences.ts';
import { benchBroadcast } from './broadcast.ts';
import { benchCompile } from './compile.ts';
import { benchDiff } from './diff.ts';
import { capOverhead } from './frequency-caps.ts';
import { benchOutbound } from './outbound.ts';
import { startDestinations, type Destinations } from './fakes.ts';
import { machine } from './machine.ts';
import { benchLateness } from './lateness.ts';
import { benchLatency } from './latency.ts';
import { benchMemory } from './memory.ts';
import { benchProviders } from './providers.ts';
import { benchRuntime } from './runtime.ts';
import { benchScale, scaleOptionsFrom } from './scale.ts';
import { benchSegment } from './segment.ts';
import { benchPostgres, stopBenchPostgres } from './setup.ts';
import { benchSimulate } from './simulate.ts';
import { benchThroughput } from './throughput.ts';

const quick = process.argv.includes('--quick');
const onlyArg = process.argv.find((a, i) => a.startsWith('--only=') || process.argv[i - 1] === '--only');
const only = onlyArg ? new Set(onlyArg.replace('--only=', '').split(',')) : null;
const scaleOptions = scaleOptionsFrom(process.argv, process.env, quick, only?.has('scale') ?? false);

/** Everything a section may need, started once: the one Postgres server, the fake providers. */
interface Shared {
  admin: string;
  destinations: Destinations;
}

/** name, label, whether a run without --only includes it, the benchmark. */
const SECTIONS: [name: string, label: string, byDefault: boolean, run: (shared: Shared) => Promise<unknown>][] = [
  ['compiler', 'compiler', true, () => benchCompile({ quick })],
  ['diff', 'diff', true, () => benchDiff({ quick })],
  ['providers', 'provider SDKs', true, () => benchProviders({ quick })],
  ['simulator', 'simulator', true, () => benchSimulate({ quick })],
  ['endToEnd', 'end to end at 1, 2 and 4 processes', true, (s) => benchThroughput(s.admin, s.destinations, { quick })],
  ['triggerLatency', 'trigger latency at a fixed rate', true, (s) => benchLatency(s.admin, s.destinations, { quick })],
  ['delayLateness', 'delay lateness under load (≥ 60 s)', true, (s) => benchLateness(s.admin, s.destinations, { quick })],
  ['memory', 'memory with waiting runs', true, (s) => benchMemory(s.admin, s.destinations, { quick })],
  ['segment', 'segment', true, () => benchSegment({ quick })],
  ['frequencyCaps', 'frequency caps: one-send with a cap counted on every send, and without', true, (s) => capOverhead(s.admin, s.destinations, { quick })],
  [
    'outbound',
    'outbound events: one-send with 0 and with 2 webhook endpoints subscribed to every event, and events delivered per second',
    true,
    (s) => benchOutbound(s.admin, s.destinations, { quick }),
  ],
  ['audiences', 'audiences: counts over 1,000,000 generated profiles, and count(*) of the table', true, (s) => benchAudiences(s.admin, { quick })],
  [
    'broadcast',
    'broadcast: fan-out to 100,000 generated users, write TPS, a paced send, and a raw INSERT … SELECT',
    true,
    (s) => benchBroadcast(s.admin, { quick }),
  ],
  ['scale', 'scale: a large message log, reads, retention, the pooler, random kills', true, (s) => benchScale(s.admin, s.destinations, scaleOptions)],
  // The earlier in-process runtime benchmark (the runtime inside the bench process, one pass of each figure):
  // endToEnd, triggerLatency and delayLateness supersede it; kept for comparisons with earlier runs.
  ['runtime', 'runtime in process', false, () => benchRuntime({ quick })],
];
if (only)
  for (const name of only) if (!SECTIONS.some(([n]) => n === name)) throw new Error(`--only: no section "${name}" (${SECTIONS.map(([n]) => n).join(', ')})`);

const file = new URL('./results.json', import.meta.url);
const previous = only && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
const results: Record<string, unknown> = { ...previous, when: new Date().toISOString(), quick, node: process.version };
const seconds: Record<string, number> = { ...(previous.seconds as Record<string, number> | undefined) };
// When and how each section was last run: after --only merges, sections of results.json may come from different runs.
const sectionRuns: Record<string, { when: string; quick: boolean }> = {
  ...(previous.sectionRuns as Record<string, { when: string; quick: boolean }> | undefined),
};
const started = performance.now();
const loadAtStart = loadavg()[0]!;
const postgres = await benchPostgres();
const destinations = await startDestinations();
try {
  for (const [name, label, byDefault, run] of SECTIONS) {
    if (only ? !only.has(name) : !byDefault) continue;
    process.stderr.write(`bench: ${label}…\n`);
    const t0 = performance.now();
    results[name] = await run({ admin: postgres.admin, destinations });
    seconds[name] = Math.round((performance.now() - t0) / 1000);
    sectionRuns[name] = { when: new Date().toISOString(), quick };
  }
  results.machine = await machine(postgres.admin, loadAtStart);
} finally {
  await destinations.close();
  await stopBenchPostgres();
}
// A partial run (--only) leaves the full run's total as it was.
if (!only) seconds.total = Math.round((performance.now() - started) / 1000);
results.seconds = seconds;
results.sectionRuns = sectionRuns;
const json = JSON.stringify(results, null, 2);
writeFileSync(file, `${json}\n`);
process.stdout.write(`${json}\n`);
