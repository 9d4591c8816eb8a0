/**
 * Simulator throughput: complete simulated runs per second of a 10-step workflow with waits (throttle, sends,
 * a delay, a wait for an open, a branch, a profile update, more delays), half of the runs opening the first
 * email. Next to it, the same runs through the engine's script simulator (runtime/memory-driver/simulate.ts) as a
 * baseline from the same run: the fluent simulator adds rendering, the message log and the timeline.
 * The bundle is compiled with buildProject from a generated tree under bench/.generated/, as a team's own
 * folder would be.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProject } from '../compiler/build.ts';
import type { Bundle } from '../compiler/bundle/schema.ts';
import { simulate } from '../compiler/testing/index.ts';
import { simulate as scriptSimulate } from '../runtime/memory-driver/index.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const WORKFLOW = 'ten-steps';

function writeTree(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'bench.ts'),
    `import { category, event, provider, template, workflow, z } from 'herald';
export const email = provider('sandbox-email', { channel: 'email', kind: 'sandbox' });
export const sms = provider('sandbox-sms', { channel: 'sms', kind: 'sandbox' });
export const inapp = provider('inbox', { channel: 'inapp', kind: 'inapp' });
export const updates = category('updates', { description: 'Product updates', defaultChannels: ['email', 'sms', 'inapp'] });
export const started = event('bench_started', { schema: z.object({ first_name: z.string(), n: z.number() }), examples: [{ first_name: 'Ada', n: 1 }] });
export const hello = template('bench-hello', {
  data: started,
  email: { subject: 'Hello {{first_name}}', text: 'Hi {{first_name}}, run {{n}}' },
  sms: { body: 'Hi {{first_name}}' },
  inapp: { title: 'Hi {{first_name}}', body: 'Run {{n}}' },
});
export default workflow('${WORKFLOW}', {
  trigger: started,
  category: updates,
  steps: (s) => [
    s.throttle('gate', { limit: 1000, window: '1d' }),
    s.send('hello', { template: hello, channel: 'email' }),
    s.delay('pause', '1h'),
    s.waitFor('opened', { engagement: { step: 'hello', kind: 'opened' }, timeout: '2h' }),
    s.branch('follow-up', [
      { when: s.engaged('hello', 'opened'), then: [s.send('tips', { template: hello, channel: 'email' })] },
      { otherwise: [s.send('nudge', { template: hello, channel: 'sms' })] },
    ]),
    s.delay('later', '1d'),
    s.updateProfile('mark', { 'traits.nudged': { value: true } }),
    s.send('inbox-note', { template: hello, channel: 'inapp' }),
    s.delay('final-wait', '2d'),
    s.send('bye', { template: hello, routing: { method: 'single', channels: ['sms', 'email'] } }),
  ],
});
`,
  );
}

async function benchBundle(): Promise<Bundle> {
  const tree = join(root, 'bench', '.generated', 'simulate');
  writeTree(tree);
  const built = await buildProject(tree, { cwd: root });
  if (!built.bundle) throw new Error(`bench tree does not compile: ${built.diagnostics[0]?.message}`);
  return built.bundle;
}

const user = { id: 'bench-user', email: 'bench@example.com', phone_number: '+15555550100' };

function fluentRun(bundle: Bundle, i: number): number {
  const sim = simulate(bundle, WORKFLOW, { user, data: { first_name: 'Ada', n: i } });
  if (i % 2 === 0) sim.advance('30m').engage('hello', 'opened');
  sim.advance('4d');
  if (sim.status() !== 'completed') throw new Error(`run ${i} did not complete: ${sim.status()}`);
  return sim.sent().length;
}

function scriptRun(bundle: Bundle, i: number): number {
  const script = i % 2 === 0 ? [{ at: 30 * 60_000, fact: { type: 'engagement' as const, stepId: 'hello', kind: 'opened' as const } }] : [];
  const r = scriptSimulate({
    bundle,
    workflowId: WORKFLOW,
    user: { ...user, traits: {}, lastActiveAt: null, preferences: {} },
    data: { first_name: 'Ada', n: i },
    script,
  });
  if (r.state.status !== 'completed') throw new Error(`run ${i} did not complete: ${r.state.status}`);
  return r.messages.length;
}

function measure(runs: number, run: (i: number) => number): { runs: number; seconds: number; runsPerSecond: number; messages: number } {
  for (let i = 0; i < Math.min(200, runs); i++) run(i); // warm-up: JIT and template compilation
  let messages = 0;
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) messages += run(i);
  const seconds = (performance.now() - t0) / 1000;
  return { runs, seconds: +seconds.toFixed(3), runsPerSecond: Math.round(runs / seconds), messages };
}

export async function benchSimulate(options: { quick: boolean }) {
  const bundle = await benchBundle();
  const runs = options.quick ? 2_000 : 20_000;
  const fluent = measure(runs, (i) => fluentRun(bundle, i));
  const script = measure(runs, (i) => scriptRun(bundle, i));
  return {
    workflow: { id: WORKFLOW, steps: bundle.workflows[WORKFLOW]!.steps.length, virtualSpan: '4d' },
    fluent,
    baselineScriptSimulator: script,
    /** Fluent runs/s over script-simulator runs/s (the cost of rendering, the log and the timeline). */
    ratio: +(fluent.runsPerSecond / script.runsPerSecond).toFixed(2),
  };
}

// `npx tsx bench/simulate.ts [--quick]` runs it alone.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await benchSimulate({ quick: process.argv.includes('--quick') });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
