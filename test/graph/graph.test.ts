/**
 * `herald graph`: the Mermaid text of the example onboarding workflow (a snapshot file, readable in review),
 * and SVG that is well-formed XML with one node per step, for the example and for awkward shapes
 * (empty arms, nested branches, a cancel, labels holding XML and Mermaid metacharacters).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProject } from '../../compiler/build.ts';
import type { Bundle, Step, Workflow } from '../../compiler/bundle/schema.ts';
import { workflowMermaid } from '../../compiler/graph/mermaid.ts';
import { workflowSvg } from '../../compiler/graph/svg.ts';
import { checkWellFormed } from './xml.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
let example: Bundle;

beforeAll(async () => {
  const result = await buildProject('notifications', { cwd: root, skipTypeCheck: true });
  if (!result.bundle) throw new Error(`notifications/ does not compile: ${result.diagnostics[0]?.message}`);
  example = result.bundle;
}, 120_000);

function countSteps(steps: readonly Step[]): number {
  return steps.reduce((n, s) => n + 1 + (s.kind === 'branch' ? s.arms.reduce((m, a) => m + countSteps(a.steps), 0) + countSteps(s.otherwise) : 0), 0);
}

const send = (id: string, template = 'welcome'): Step => ({
  id,
  kind: 'send',
  template,
  routing: { method: 'single', channels: ['email'], strategy: 'ordered' },
  critical: false,
});

/** Every shape the flow builder has a case for, and labels that need escaping in both formats. */
const awkward: Workflow = {
  id: 'awkward',
  trigger: { type: 'schedule', cron: '0 9 * * 1' },
  cancelOn: [],
  steps: [
    { id: 'once', kind: 'throttle', limit: 1, windowMs: 86_400_000 },
    {
      id: 'route',
      kind: 'branch',
      arms: [
        { when: { op: 'compare', left: { ref: 'data.note' }, cmp: 'eq', right: 'a "quoted" <b>&amp;</b> #1' }, steps: [] },
        {
          when: {
            op: 'and',
            all: [
              { op: 'hasChannel', channel: 'sms' },
              { op: 'not', cond: { op: 'activeWithin', durationMs: 300_000 } },
            ],
          },
          steps: [
            { id: 'inner', kind: 'branch', arms: [{ when: { op: 'preference', category: 'news', channel: 'sms' }, steps: [send('end')] }], otherwise: [] },
          ],
        },
      ],
      otherwise: [{ id: 'stop', kind: 'cancel', reason: 'nothing to say' }],
    },
    { id: 'remember', kind: 'updateProfile', set: { 'traits.nudged': { value: true } } },
    { id: 'digest', kind: 'digest', windowMs: 3_600_000, key: 'data.thread' },
    send('last'),
  ],
};

describe('herald graph --format mermaid', () => {
  it('draws the onboarding workflow (snapshot)', async () => {
    await expect(workflowMermaid(example.workflows.onboarding!)).toMatchFileSnapshot('./onboarding.mmd');
  });

  it("shows a delay's moment and a digest's schedule, as the example's trial reminder and comment digest have them", () => {
    expect(workflowMermaid(example.workflows['trial-ending']!)).toContain(
      's_before_trial_end("delay before-trial-end<br/>3d before data.trial_ends_at<br/>if past: end the run")',
    );
    expect(workflowMermaid(example.workflows['comment-digest']!)).toContain(
      's_daily_digest("digest daily-digest<br/>schedule Mon–Fri at 09:00 (user\'s timezone)<br/>at most 20 items")',
    );
  });

  it('keeps ids and labels inside Mermaid syntax', () => {
    const text = workflowMermaid(awkward);
    // A step called `end` must not become Mermaid's `end` keyword; quotes and brackets become entity codes.
    expect(text).toContain('s_end["send end');
    expect(text).toContain('data.note == #quot;a \\#quot;quoted\\#quot; #lt;b#gt;#amp;amp;#lt;/b#gt; #35;1#quot;');
    expect(text).not.toMatch(/\["[^\]]*"[^\]]*"\]/);
    // The cancel ends its path: no edge leaves it.
    expect(text).not.toMatch(/^\s*s_stop -->/m);
  });

  it('marks added and changed steps with a classDef', () => {
    const text = workflowMermaid(awkward, {
      marks: new Map([
        ['last', 'added'],
        ['once', 'changed'],
      ]),
    });
    expect(text).toMatch(/classDef added .*\n\s*class s_last added/);
    expect(text).toMatch(/classDef changed .*\n\s*class s_once changed/);
  });
});

describe('herald graph --format svg', () => {
  for (const id of ['onboarding', 'cart-recovery', 'comment-digest', 'security-code', 'welcome-everywhere', 'checkout-receipt', 'trial-ending']) {
    it(`${id}: well-formed XML with a node per step`, () => {
      const workflow = example.workflows[id]!;
      const svg = workflowSvg(workflow);
      checkWellFormed(svg);
      expect(svg.match(/data-step="/g)?.length).toBe(countSteps(workflow.steps));
    });
  }

  it('draws awkward shapes and escapes labels', () => {
    const svg = workflowSvg(awkward, { marks: new Map([['last', 'added']]) });
    checkWellFormed(svg);
    expect(svg.match(/data-step="/g)?.length).toBe(countSteps(awkward.steps));
    expect(svg).toContain('data.note == &quot;a \\&quot;quoted\\&quot; &lt;b&gt;&amp;amp;&lt;/b&gt; #1&quot;');
    // Branch arms are labelled on their edges, arrowheads come from one marker.
    expect(svg).toContain('>otherwise</text>');
    expect(svg.match(/marker-end="url\(#arrow\)"/g)?.length).toBeGreaterThan(8);
    expect(svg).toMatch(/class="node step send added" data-step="last"/);
  });

  it('the checker itself rejects broken XML', () => {
    expect(() => checkWellFormed('<svg><g></svg>')).toThrow();
    expect(() => checkWellFormed('<svg><text>a < b</text></svg>')).toThrow();
    expect(() => checkWellFormed('<svg a="1" a="2"/>')).toThrow();
    expect(() => checkWellFormed('<svg>&nope</svg>')).toThrow();
  });

  it('`herald graph --bundle … --format svg` prints it from the CLI', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-graph-'));
    const bundlePath = join(dir, 'bundle.json');
    writeFileSync(bundlePath, JSON.stringify(example));
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        [join(root, 'compiler/cli/herald.js'), 'graph', 'onboarding', '--bundle', bundlePath, '--format', 'svg'],
        { cwd: root },
        (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    checkWellFormed(run.stdout);
    const unknown = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        [join(root, 'compiler/cli/herald.js'), 'graph', 'onbording', '--bundle', bundlePath],
        { cwd: root },
        (error, _stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stderr }),
      ),
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('did you mean "onboarding"?');
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);
});
