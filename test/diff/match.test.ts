/**
 * Keyed waits and cancels in the PR tools: `herald diff` reports a changed `match` (workflow-level for cancelOn,
 * step-level for a wait) and flags a removed one; `herald graph` draws it.
 */
import { describe, expect, it } from 'vitest';
import type { Bundle, Step, Workflow } from '../../compiler/bundle/schema.ts';
import { diffBundles, emptyBundle } from '../../compiler/diff/diff.ts';
import { workflowMermaid } from '../../compiler/graph/mermaid.ts';

const wait = (match?: Record<string, string>): Step => ({
  id: 'paid',
  kind: 'waitFor',
  until: { type: 'event', event: 'order_paid', ...(match ? { match } : {}) },
  timeoutMs: 86_400_000,
});

function workflow(cancelOn: Workflow['cancelOn'], steps: Step[] = [wait()]): Workflow {
  return { id: 'w', trigger: { type: 'event', event: 'order_placed' }, cancelOn, steps };
}

const bundle = (w: Workflow): Bundle => ({ ...emptyBundle({ retentionMs: 30 * 86_400_000 }), workflows: { w } });

const diff = (before: Workflow, after: Workflow) => {
  const d = diffBundles(bundle(before), bundle(after));
  return {
    lines: d.workflows.changed.flatMap((w) => w.changes.map((c) => `${c.path}: ${c.summary}`)),
    flags: d.flags.map((f) => `${f.kind}:${f.rule}:${f.path}`),
    changes: d.workflows.changed.flatMap((w) => w.changes),
  };
};

const keyedCancel = { event: 'order_cancelled', match: { order_id: 'order_id' } };

describe('herald diff: cancelOn match', () => {
  it('reports a new keyed cancel with its match, and a changed match as a workflow-level line', () => {
    expect(diff(workflow([]), workflow([keyedCancel])).lines).toEqual([
      'cancelOn.order_cancelled: now cancelled by `order_cancelled` where order_id = data.order_id',
    ]);
    const changed = diff(workflow([keyedCancel]), workflow([{ event: 'order_cancelled', match: { 'order.id': 'order_id' } }]));
    expect(changed.lines).toEqual([
      'cancelOn.order_cancelled.match: cancelled by `order_cancelled`: match `where order_id = data.order_id` → `where order.id = data.order_id`',
    ]);
    expect(changed.flags).toEqual([]);
    expect(changed.changes[0]).toMatchObject({ before: keyedCancel, after: { event: 'order_cancelled', match: { 'order.id': 'order_id' } } });
    // Unkeyed entries keep the values they always had: the event's name.
    expect(diff(workflow([]), workflow(['order_cancelled'])).changes[0]).toMatchObject({ path: 'cancelOn.order_cancelled', after: 'order_cancelled' });
  });

  it('flags a removed match: every such event of the user would cancel every run', () => {
    const removed = diff(workflow([keyedCancel]), workflow(['order_cancelled']));
    expect(removed.lines).toEqual(['cancelOn.order_cancelled.match: cancelled by `order_cancelled`: match `where order_id = data.order_id` → `any`']);
    expect(removed.flags).toEqual(['breaking:match-removed:cancelOn.order_cancelled.match']);
    // Adding one is no promise broken.
    expect(diff(workflow(['order_cancelled']), workflow([keyedCancel])).flags).toEqual([]);
    // Removing the whole cancel is reported as such, not as a lost match.
    expect(diff(workflow([keyedCancel]), workflow([])).flags).toEqual([]);
  });
});

describe('herald diff: waitFor match', () => {
  it('reports a changed match as a step-level line, and flags a removed one', () => {
    const changed = diff(workflow([], [wait({ order_id: 'order_id' })]), workflow([], [wait({ order_id: 'id' })]));
    expect(changed.lines).toEqual(['steps.paid.until.match: wait `paid`: match `where order_id = data.order_id` → `where order_id = data.id`']);
    expect(changed.flags).toEqual([]);
    const removed = diff(workflow([], [wait({ order_id: 'order_id' })]), workflow([], [wait()]));
    expect(removed.lines).toEqual(['steps.paid.until.match: wait `paid`: match `where order_id = data.order_id` → none (any such event of the user)']);
    expect(removed.flags).toEqual(['breaking:match-removed:steps.paid.until.match']);
  });
});

describe('herald graph: match', () => {
  it('draws cancelOn with the trigger and a wait’s match under it', () => {
    const text = workflowMermaid(workflow([keyedCancel, 'logged_out'], [wait({ order_id: 'order_id' })]));
    expect(text).toContain('start(["event order_placed<br/>cancelled by order_cancelled where order_id = data.order_id<br/>cancelled by logged_out"])');
    expect(text).toContain('s_paid("wait paid<br/>until event order_paid<br/>where order_id = data.order_id<br/>timeout 1d")');
  });
});
