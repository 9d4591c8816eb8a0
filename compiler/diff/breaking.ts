/**
 * The rules that flag a change for a reviewer's attention. Two kinds:
 *
 * - breaking: the new bundle cannot honour something already promised: runs in flight parked at a step or
 *   workflow that no longer exists, senders whose events now miss a required field, API callers naming a
 *   template that is gone;
 * - resubscribe: users receive messages they had, in effect, turned off, without doing anything.
 *
 * Each rule is a small function over the diff and both bundles; compiler/diff/README.md explains each.
 */
import type { Bundle, Step } from '../bundle/schema.ts';
import { cancelOnMatchesRemoved } from './cancel-on.ts';
import { newlyRequired } from './events.ts';
import type { BundleDiff, Flag } from './model.ts';
import { placeSteps } from './steps.ts';
import { code, codeList } from './words.ts';

export interface RuleInput {
  diff: Omit<BundleDiff, 'flags'>;
  base: Bundle;
  head: Bundle;
}

type Rule = (input: RuleInput) => Flag[];

const workflowRemoved: Rule = ({ diff, base }) =>
  diff.workflows.removed.map(({ id }) => {
    const w = base.workflows[id]!;
    const started = w.trigger.type === 'event' ? `; ${code(w.trigger.event)} no longer starts anything here` : '';
    return {
      kind: 'breaking',
      rule: 'workflow-removed',
      section: 'workflows',
      id,
      message: `Workflow ${code(id)} removed: runs in flight are abandoned${started}.`,
    };
  });

const workflowRenamed: Rule = ({ diff }) =>
  diff.workflows.renamed.map(({ from, to }) => ({
    kind: 'breaking',
    rule: 'workflow-renamed',
    section: 'workflows',
    id: from,
    message: `Workflow ${code(from)} renamed to ${code(to)}: runs in flight under ${code(from)} are abandoned (a run resumes by workflow id).`,
  }));

const stepRemoved: Rule = ({ diff }) =>
  diff.workflows.changed.flatMap((w) =>
    w.steps.removed.map(
      (step): Flag => ({
        kind: 'breaking',
        rule: 'step-removed',
        section: 'workflows',
        id: w.id,
        path: `steps.${step}`,
        message: `Workflow ${code(w.id)}: step ${code(step)} removed: runs in flight at it cannot resume.`,
      }),
    ),
  );

const stepRenamed: Rule = ({ diff }) =>
  diff.workflows.changed.flatMap((w) =>
    w.steps.renamed.map(
      ({ from, to }): Flag => ({
        kind: 'breaking',
        rule: 'step-renamed',
        section: 'workflows',
        id: w.id,
        path: `steps.${from}`,
        message: `Workflow ${code(w.id)}: step ${code(from)} renamed to ${code(to)}: runs in flight at ${code(from)} cannot resume (a run resumes by step id).`,
      }),
    ),
  );

const stepKindChanged: Rule = ({ diff }) =>
  diff.workflows.changed.flatMap((w) =>
    w.steps.replaced.map(
      (step): Flag => ({
        kind: 'breaking',
        rule: 'step-kind-changed',
        section: 'workflows',
        id: w.id,
        path: `steps.${step}.kind`,
        message: `Workflow ${code(w.id)}: step ${code(step)} is a different kind of step: runs in flight at it resume into something else.`,
      }),
    ),
  );

const eventRequiredField: Rule = ({ diff, base, head }) =>
  diff.events.changed.flatMap(({ id }) =>
    newlyRequired(base.events[id]!, head.events[id]!).map(
      ({ path, existed }): Flag => ({
        kind: 'breaking',
        rule: 'event-required-field',
        section: 'events',
        id,
        path: `fields.${path}`,
        message: existed
          ? `Event ${code(id)}: field ${code(path)} is now required: events sent without it are refused.`
          : `Event ${code(id)}: new required field ${code(path)}: events sent without it are refused.`,
      }),
    ),
  );

const templateRemoved: Rule = ({ diff }) => [
  ...diff.templates.removed.map(
    ({ id }): Flag => ({
      kind: 'breaking',
      rule: 'template-removed',
      section: 'templates',
      id,
      message: `Template ${code(id)} removed: Courier-API callers that send \`template: "${id}"\` will fail.`,
    }),
  ),
  ...diff.templates.renamed.map(
    ({ from, to }): Flag => ({
      kind: 'breaking',
      rule: 'template-removed',
      section: 'templates',
      id: from,
      message: `Template ${code(from)} renamed to ${code(to)}: Courier-API callers that send \`template: "${from}"\` will fail.`,
    }),
  ),
];

const categoryDefaultChannelAdded: Rule = ({ diff, base, head }) =>
  diff.categories.changed.flatMap(({ id }) => {
    const before = base.categories[id]!.defaultChannels;
    const gained = head.categories[id]!.defaultChannels.filter((c) => !before.includes(c));
    if (!gained.length) return [];
    return [
      {
        kind: 'resubscribe',
        rule: 'category-default-channel-added',
        section: 'categories',
        id,
        path: 'defaultChannels',
        message: `Category ${code(id)}: ${codeList(gained)} now on by default: users who never chose get ${id} messages there without opting in.`,
      },
    ];
  });

const categoryMadeRequired: Rule = ({ diff, base, head }) =>
  diff.categories.changed
    .filter(({ id }) => !base.categories[id]!.required && head.categories[id]!.required)
    .map(
      ({ id }): Flag => ({
        kind: 'resubscribe',
        rule: 'category-made-required',
        section: 'categories',
        id,
        path: 'required',
        message: `Category ${code(id)} is now required: users who opted out receive it again, and can no longer opt out.`,
      }),
    );

const workflowCategoryChanged: Rule = ({ diff, base, head }) =>
  diff.workflows.changed.flatMap(({ id }) => {
    const before = base.workflows[id]!.category;
    const after = head.workflows[id]!.category;
    // Gaining a category only lets users opt out; leaving or switching one can undo an opt-out.
    if (before === undefined || before === after) return [];
    const message =
      after === undefined
        ? `Workflow ${code(id)} left category ${code(before)}: preferences no longer apply, so users who opted out of ${code(before)} receive it again.`
        : `Workflow ${code(id)} moved from category ${code(before)} to ${code(after)}: users who opted out of ${code(before)} but not ${code(after)} receive it again.`;
    return [{ kind: 'resubscribe', rule: 'workflow-category-changed', section: 'workflows', id, path: 'category', message }];
  });

/** The event waits that are keyed (they have a match), by step id. */
function keyedWaits(steps: readonly Step[]): Map<string, string> {
  return new Map(
    [...placeSteps(steps)].flatMap(([id, p]) =>
      p.step.kind === 'waitFor' && p.step.until.type === 'event' && p.step.until.match ? [[id, p.step.until.event] as const] : [],
    ),
  );
}

/** A wait or cancel that loses its match reacts to every such event of the user: runs start ending each other. */
const matchRemoved: Rule = ({ diff, base, head }) =>
  diff.workflows.changed.flatMap(({ id }) => {
    const before = base.workflows[id]!;
    const after = head.workflows[id]!;
    const cancels = cancelOnMatchesRemoved(before, after).map(
      (event): Flag => ({
        kind: 'breaking',
        rule: 'match-removed',
        section: 'workflows',
        id,
        path: `cancelOn.${event}.match`,
        message: `Workflow ${code(id)}: cancelOn ${code(event)} lost its match: any ${code(event)} of the user now cancels all their runs of it, not only the one it is about.`,
      }),
    );
    const now = placeSteps(after.steps);
    const unkeyedNow = (step: string) => {
      const placed = now.get(step)?.step;
      return placed?.kind === 'waitFor' && placed.until.type === 'event' && placed.until.match === undefined;
    };
    const waits = [...keyedWaits(before.steps)]
      .filter(([step]) => unkeyedNow(step))
      .map(
        ([step, event]): Flag => ({
          kind: 'breaking',
          rule: 'match-removed',
          section: 'workflows',
          id,
          path: `steps.${step}.until.match`,
          message: `Workflow ${code(id)}: wait ${code(step)} lost its match: any ${code(event)} of the user now ends the wait of all their runs of it, not only the one it is about.`,
        }),
      );
    return [...cancels, ...waits];
  });

function sends(steps: readonly Step[]): Map<string, boolean> {
  return new Map([...placeSteps(steps)].flatMap(([id, p]) => (p.step.kind === 'send' ? [[id, p.step.critical] as const] : [])));
}

const sendMadeCritical: Rule = ({ diff, base, head }) =>
  diff.workflows.changed.flatMap(({ id }) => {
    const before = sends(base.workflows[id]!.steps);
    return [...sends(head.workflows[id]!.steps)]
      .filter(([step, critical]) => critical && before.get(step) === false)
      .map(
        ([step]): Flag => ({
          kind: 'resubscribe',
          rule: 'send-made-critical',
          section: 'workflows',
          id,
          path: `steps.${step}.critical`,
          message: `Workflow ${code(id)}: send ${code(step)} is now critical: it ignores preferences, so users who opted out receive it.`,
        }),
      );
  });

const RULES: Rule[] = [
  workflowRemoved,
  workflowRenamed,
  stepRemoved,
  stepRenamed,
  stepKindChanged,
  eventRequiredField,
  templateRemoved,
  categoryDefaultChannelAdded,
  categoryMadeRequired,
  workflowCategoryChanged,
  sendMadeCritical,
  matchRemoved,
];

export function flagChanges(input: RuleInput): Flag[] {
  return RULES.flatMap((rule) => rule(input));
}
