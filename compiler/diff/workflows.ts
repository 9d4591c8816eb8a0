/** Workflow-level changes (trigger, category, cancellation, send window) and, through steps.ts, step-level ones. */
import type { Bundle, Step, Workflow } from '../bundle/schema.ts';
import { sendWindow, trigger } from '../graph/describe.ts';
import type { Change, SectionDiff, WorkflowChange } from './model.ts';
import { change, diffRecords, same, sameExcept } from './records.ts';
import { cancelOnChanges } from './cancel-on.ts';
import { diffSteps } from './steps.ts';
import { arrow, code, plural } from './words.ts';

function countSteps(steps: readonly Step[]): number {
  return steps.reduce((n, s) => n + 1 + (s.kind === 'branch' ? s.arms.reduce((m, a) => m + countSteps(a.steps), 0) + countSteps(s.otherwise) : 0), 0);
}

function triggerText(t: Workflow['trigger']): string {
  return t.type === 'event' ? `on ${code(t.event)}` : `on schedule ${code(t.cron)}`;
}

export function summarizeWorkflow(w: Workflow): string {
  const category = w.category === undefined ? 'no category' : `category ${code(w.category)}`;
  return `${triggerText(w.trigger)} · ${plural(countSteps(w.steps), 'step')} · ${category}`;
}

function compareWorkflow(id: string, before: Workflow, after: Workflow): WorkflowChange {
  const changes: Change[] = [];
  const push = (path: string, summary: string, a: unknown, b: unknown) => changes.push(change(path, summary, a, b));

  if (before.description !== after.description) {
    const text = (d: string | undefined) => (d === undefined ? 'none' : code(d));
    push('description', `description ${arrow(text(before.description), text(after.description))}`, before.description, after.description);
  }
  if (!same(before.trigger, after.trigger)) {
    push('trigger', `trigger ${arrow(code(trigger(before.trigger)), code(trigger(after.trigger)))}`, before.trigger, after.trigger);
  }
  if (before.category !== after.category) {
    const text = (c: string | undefined) => (c === undefined ? 'none' : code(c));
    push('category', `category ${arrow(text(before.category), text(after.category))}`, before.category, after.category);
  }
  changes.push(...cancelOnChanges(before, after));
  // Who may start it is a security change: a review must see it.
  if ((before.clientTriggerable ?? false) !== (after.clientTriggerable ?? false)) {
    const text = (open: boolean | undefined) => (open ? 'clients may trigger it' : 'only servers may trigger it');
    push(
      'clientTriggerable',
      `now ${text(after.clientTriggerable)} (was: ${text(before.clientTriggerable)})`,
      before.clientTriggerable ?? false,
      after.clientTriggerable ?? false,
    );
  }
  if (!same(before.window, after.window)) {
    push('window', `send window ${arrow(sendWindow(before.window), sendWindow(after.window))}`, before.window, after.window);
  }
  const steps = diffSteps(before.steps, after.steps);
  changes.push(...steps.changes);
  return { id, changes, steps: steps.steps };
}

export function diffWorkflows(base: Bundle, head: Bundle): SectionDiff<WorkflowChange> {
  return diffRecords(base.workflows, head.workflows, {
    summarize: summarizeWorkflow,
    compare: (id, a, b) => compareWorkflow(id, a, b),
    isRename: (a, b) => sameExcept(a, b, 'id'),
  });
}
