/**
 * Broadcasts in `herald diff`: added, removed, renamed (everything but the id equal), and changed — who it reaches
 * (audience or list), its rate, its send window, its category and description, and its steps, compared as a
 * workflow's are (steps.ts), so a template swapped in a broadcast's send reads as it does in a workflow.
 */
import type { Broadcast, Bundle, Step } from '../bundle/schema.ts';
import { fanoutRate, recipients, sendWindow } from '../graph/describe.ts';
import type { Change, ItemChange, SectionDiff } from './model.ts';
import { change, diffRecords, same, sameExcept } from './records.ts';
import { diffSteps } from './steps.ts';
import { arrow, code, plural } from './words.ts';

const countSteps = (steps: readonly Step[]): number =>
  steps.reduce((n, s) => n + 1 + (s.kind === 'branch' ? s.arms.reduce((m, a) => m + countSteps(a.steps), 0) + countSteps(s.otherwise) : 0), 0);

export function summarizeBroadcast(b: Broadcast): string {
  return [
    `to ${code(recipients(b.recipients))}`,
    `rate ${code(fanoutRate(b.rate))}`,
    ...(b.window ? [`window ${code(sendWindow(b.window))}`] : []),
    plural(countSteps(b.steps), 'step'),
    b.category === undefined ? 'no category' : `category ${code(b.category)}`,
  ].join(' · ');
}

function compareBroadcast(id: string, before: Broadcast, after: Broadcast): ItemChange {
  const changes: Change[] = [];
  const text = (value: string | undefined) => (value === undefined ? 'none' : code(value));
  if (!same(before.recipients, after.recipients)) {
    changes.push(
      change('recipients', `recipients ${arrow(code(recipients(before.recipients)), code(recipients(after.recipients)))}`, before.recipients, after.recipients),
    );
  }
  if (!same(before.rate, after.rate)) {
    changes.push(change('rate', `rate ${arrow(code(fanoutRate(before.rate)), code(fanoutRate(after.rate)))}`, before.rate, after.rate));
  }
  if (!same(before.window, after.window)) {
    changes.push(change('window', `send window ${arrow(sendWindow(before.window), sendWindow(after.window))}`, before.window, after.window));
  }
  if (before.category !== after.category) {
    changes.push(change('category', `category ${arrow(text(before.category), text(after.category))}`, before.category, after.category));
  }
  if (before.description !== after.description) {
    changes.push(change('description', `description ${arrow(text(before.description), text(after.description))}`, before.description, after.description));
  }
  changes.push(...diffSteps(before.steps, after.steps).changes);
  return { id, changes };
}

export function diffBroadcasts(base: Bundle, head: Bundle): SectionDiff {
  return diffRecords(base.broadcasts ?? {}, head.broadcasts ?? {}, {
    summarize: summarizeBroadcast,
    compare: compareBroadcast,
    isRename: (a, b) => sameExcept(a, b, 'id'),
  });
}
