/**
 * The bundles the end-to-end benchmarks run: a small bench tree (one-send, delays) and the seed flow — the
 * example notifications/ compiled as is, with its waits shortened so that a run finishes within the benchmark.
 */
import { fileURLToPath } from 'node:url';
import type { Bundle } from '../compiler/bundle/schema.ts';
import { withLimits } from '../test/setup/limits.ts';
import { shorten } from '../test/setup/shorten.ts';
import { buildProject } from '../compiler/build.ts';
import { buildBenchBundle } from './setup.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Email goes through SendGrid when BENCH_SENDGRID_KEY is set (its SDK, to the local fake), else the sandbox
 * stands in. `wait-day` only makes the template of the memory benchmark's waiting runs.
 */
const TREE = `import { env, event, provider, template, workflow, z } from 'herald';
export const email = provider('bench-email', { channel: 'email', kind: 'sendgrid', credentials: { apiKey: env('BENCH_SENDGRID_KEY') }, from: 'bench@example.com' });
export const ping = event('bench_ping', { schema: z.object({ n: z.number() }) });
export const hello = template('bench-hello', { data: ping, email: { subject: 'Ping {{n}}', text: 'Hello {{user.email}}, ping {{n}}' } });
export const oneSend = workflow('one-send', { trigger: ping, steps: (s) => [s.send('hello', { template: hello, channel: 'email' })] });
export const in1s = event('bench_delay_1s', { schema: z.object({ n: z.number() }) });
export const in60s = event('bench_delay_60s', { schema: z.object({ n: z.number() }) });
export const inDay = event('bench_delay_day', { schema: z.object({ n: z.number() }) });
export const late1s = template('bench-late-1s', { data: in1s, email: { subject: 'Late {{n}}', text: 'Delayed 1 s: {{n}}' } });
export const late60s = template('bench-late-60s', { data: in60s, email: { subject: 'Late {{n}}', text: 'Delayed 60 s: {{n}}' } });
export const lateDay = template('bench-late-day', { data: inDay, email: { subject: 'Late {{n}}', text: 'Delayed a day: {{n}}' } });
export const delay1s = workflow('delay-1s', { trigger: in1s, steps: (s) => [s.delay('wait', '1s'), s.send('later', { template: late1s, channel: 'email' })] });
export const delay60s = workflow('delay-60s', { trigger: in60s, steps: (s) => [s.delay('wait', '60s'), s.send('later', { template: late60s, channel: 'email' })] });
export const waitDay = workflow('wait-day', { trigger: inDay, steps: (s) => [s.delay('wait', '1d'), s.send('later', { template: lateDay, channel: 'email' })] });
`;

let bench: Promise<Bundle> | null = null;

export function benchBundle(): Promise<Bundle> {
  bench ??= buildBenchBundle('e2e', TREE);
  return bench;
}

/** The seed's 2-hour wait for the welcome email's open, as this many ms. */
export const SEED_WAIT_MS = 1_000;

/**
 * The example onboarding (trial_started: welcome email, wait up to 2 h for its open, then a follow-up — an
 * SMS for users neither engaged nor active), every wait scaled so that 2 h takes SEED_WAIT_MS. Without the
 * example's SMS cap (3 a day): the benchmark sends each of its users dozens of nudges, and counts them all.
 * What a cap costs is measured apart (bench/frequency-caps.ts).
 */
export async function seedBundle(): Promise<Bundle> {
  const built = await buildProject('notifications', { cwd: root });
  if (!built.bundle) throw new Error(`notifications/ does not compile: ${built.diagnostics[0]?.message}`);
  return withLimits(shorten(built.bundle, SEED_WAIT_MS / 2));
}
