/**
 * Lowers a workflow's steps to the bundle's step graph, checking along each path: unique step ids, known
 * templates/events/providers/categories, waits and `engaged()` that name an earlier send, unreachable steps,
 * send windows that never open, critical sends, and waits that could outlive the retention.
 */
import type { Bundle, Condition, SendWindow, Step } from '../bundle/schema.ts';
import type { ConditionSpec, SendWindowSpec, StepSpec } from '../dsl/definitions.ts';
import type { SourceLocation } from '../diagnostics/diagnostic.ts';
import { formatDuration } from '../dsl/duration.ts';
import { windowNeverOpens } from '../bundle/window.ts';
import { parseWindowSpec } from '../schedule/parse.ts';
import type { LowerContext } from './context.ts';
import { lowerDelay } from './delay.ts';
import { lowerDigest } from './digest.ts';
import { fetchedProblem, lowerFetch } from './fetch.ts';
import type { Shape } from '../templates/shape.ts';
import { scopeForEvent, templateFields, templateVariables } from '../templates/check.ts';
import { durationMs } from './durations.ts';
import { lowerMatch } from './match.ts';

export interface WorkflowScope {
  ctx: LowerContext;
  bundle: Pick<Bundle, 'events' | 'templates' | 'providers' | 'channels' | 'categories' | 'settings'>;
  workflowId: string;
  file: string;
  /** The trigger's event name, or null for scheduled workflows. */
  event: string | null;
  category: Bundle['categories'][string] | null;
  /** Step ids already seen in this workflow (ids are unique across all branches). */
  seenIds: Set<string>;
  /** Every step id of the workflow, wherever it stands. */
  allIds: Set<string>;
  /** Reported the retention problem once per workflow. */
  retentionReported: boolean;
}

interface PathState {
  /** Sends certainly done before this point on every path reaching it. */
  sends: Set<string>;
  /** Longest time a run may have spent waiting before this point. */
  elapsedMs: number;
  /** Fetches certainly done before this point: step id → the answer's shape (`fetched.<id>.…`). */
  fetched?: ReadonlyMap<string, Shape>;
}

/** Every step id in a list, nested branch arms included. */
export function collectStepIds(specs: readonly StepSpec[], into = new Set<string>()): Set<string> {
  for (const spec of specs) {
    into.add(spec.id);
    if (spec.kind === 'branch') for (const arm of spec.arms) collectStepIds('otherwise' in arm ? arm.otherwise : arm.then, into);
  }
  return into;
}

export function lowerWindow(scope: WorkflowScope, spec: SendWindowSpec | undefined, at: () => ReturnType<LowerContext['where']>): SendWindow | undefined {
  if (spec === undefined) return undefined;
  const parsed = parseWindowSpec(spec);
  if (!parsed.ok) {
    scope.ctx.report('window-never-opens', at(), `send window ${parsed.field}: ${parsed.message}`, parsed.hint);
    return undefined;
  }
  const never = windowNeverOpens(parsed.window);
  if (never)
    scope.ctx.report(
      'window-never-opens',
      at(),
      `this send window can never open: ${never}`,
      "widen the hours or days, e.g. { days: 'mon-fri', hours: '09:00-20:00' }",
    );
  return parsed.window;
}

export function lowerStepList(scope: WorkflowScope, specs: readonly StepSpec[], path: PathState): { steps: Step[]; ends: boolean; path: PathState } {
  const steps: Step[] = [];
  let ends = false;
  let current = path;
  for (const spec of specs) {
    if (ends) {
      scope.ctx.report(
        'unreachable-step',
        scope.ctx.whereStep(scope.workflowId, spec.id, scope.file),
        `step "${spec.id}" can never run: every path before it ends the run`,
        'remove it, or move it before the cancel',
      );
      break; // report only the first unreachable step of a list
    }
    if (scope.seenIds.has(spec.id)) {
      const calls = scope.ctx.locator.steps(scope.workflowId, spec.id);
      const first = scope.ctx.nodeAt(calls[0], scope.file);
      scope.ctx.report(
        'duplicate-id',
        scope.ctx.nodeAt(calls[1] ?? calls[0], scope.file),
        `step id "${spec.id}" is used twice in workflow "${scope.workflowId}" (first at line ${first.line})`,
        'step ids must be unique within a workflow: waits, logs and runs in flight refer to them',
      );
    }
    scope.seenIds.add(spec.id);
    const lowered = lowerStep(scope, spec, current);
    if (lowered.step) steps.push(lowered.step);
    current = lowered.path;
    ends = lowered.ends;
    checkRetention(scope, spec.id, current.elapsedMs);
  }
  return { steps, ends, path: current };
}

function checkRetention(scope: WorkflowScope, stepId: string, elapsedMs: number) {
  const retention = scope.bundle.settings.retentionMs;
  if (scope.retentionReported || retention === 0 || elapsedMs <= retention) return;
  scope.retentionReported = true;
  scope.ctx.report(
    'exceeds-retention',
    scope.ctx.whereStep(scope.workflowId, stepId, scope.file),
    `a run can reach step "${stepId}" after ${formatDuration(elapsedMs)}, longer than the retention of ${formatDuration(retention)}: its data could be gone`,
    `shorten the waits, or raise settings({ retention }) to at least '${formatDuration(elapsedMs)}'`,
  );
}

function lowerStep(scope: WorkflowScope, spec: StepSpec, path: PathState): { step: Step | null; ends: boolean; path: PathState } {
  const { ctx, workflowId, file } = scope;
  const at =
    (...field: string[]) =>
    () =>
      ctx.whereStep(workflowId, spec.id, file, field);
  const dur = (text: string, field: string) => durationMs(ctx, text, at(field));
  switch (spec.kind) {
    case 'send':
      return lowerSend(scope, spec, path);
    case 'delay': {
      // A delay until a moment of the run adds nothing known here: its length is the run's data.
      const { step, waitMs } = lowerDelay(scope, spec, at);
      return { step, ends: false, path: { ...path, elapsedMs: path.elapsedMs + waitMs } };
    }
    case 'waitFor': {
      const timeoutMs = dur(spec.timeout, 'timeout');
      let until: Extract<Step, { kind: 'waitFor' }>['until'] | null = null;
      if (spec.engagement) {
        checkEarlierSend(scope, path, spec.engagement.step, spec.id, at('engagement', 'step'));
        until = { type: 'engagement', step: spec.engagement.step, kind: spec.engagement.kind };
      } else if (spec.event !== undefined) {
        const name = String(spec.event);
        if (!scope.bundle.events[name]) {
          ctx.report(
            'unknown-reference',
            at('event')(),
            `step "${spec.id}" waits for unknown event "${name}"`,
            ctx.suggest(name, Object.keys(scope.bundle.events), 'event'),
          );
        }
        const match = lowerMatch(ctx, scope.bundle.events, {
          label: `waitFor "${spec.id}"`,
          workflowId,
          event: name,
          trigger: scope.event,
          match: spec.match,
          at: at('match'),
        });
        until = { type: 'event', event: name, ...(match ? { match } : {}) };
      } else {
        ctx.report(
          'invalid-definition',
          at()(),
          `waitFor "${spec.id}" needs an engagement or an event to wait for`,
          'add engagement: { step, kind } or event: someEvent',
        );
      }
      const step: Step | null = until ? { kind: 'waitFor', id: spec.id, until, timeoutMs } : null;
      return { step, ends: false, path: { ...path, elapsedMs: path.elapsedMs + timeoutMs } };
    }
    case 'digest': {
      const { step, waitMs } = lowerDigest(scope, spec, at);
      return { step, ends: false, path: { ...path, elapsedMs: path.elapsedMs + waitMs } };
    }
    case 'throttle': {
      const windowMs = dur(spec.window, 'window');
      if (!Number.isInteger(spec.limit) || spec.limit < 1) {
        ctx.report('invalid-definition', at('limit')(), `throttle "${spec.id}" has limit ${spec.limit}`, 'use a whole number of runs, at least 1');
      }
      return { step: { kind: 'throttle', id: spec.id, limit: spec.limit, windowMs, ...(spec.key === undefined ? {} : { key: spec.key }) }, ends: false, path };
    }
    case 'updateProfile':
      return { step: { kind: 'updateProfile', id: spec.id, set: { ...spec.set } as never }, ends: false, path };
    case 'cancel':
      return { step: { kind: 'cancel', id: spec.id, ...(spec.reason === undefined ? {} : { reason: spec.reason }) }, ends: true, path };
    case 'fetch': {
      const { step, shape } = lowerFetch(scope, spec, at);
      // Retries may wait 1 s + 4 s beyond the attempts: seconds, not worth a retention check of their own.
      return { step, ends: false, path: { ...path, fetched: new Map([...(path.fetched ?? []), [spec.id, shape]]) } };
    }
    case 'branch':
      return lowerBranch(scope, spec, path);
  }
}

function checkEarlierSend(scope: WorkflowScope, path: PathState, stepId: string, fromStep: string, at: () => ReturnType<LowerContext['where']>) {
  if (path.sends.has(stepId)) return;
  const exists = scope.allIds.has(stepId);
  scope.ctx.report(
    'bad-step-reference',
    at(),
    exists
      ? `step "${fromStep}" refers to "${stepId}", which is not a send that always runs before it`
      : `step "${fromStep}" refers to unknown step "${stepId}"`,
    exists
      ? `move "${fromStep}" after send "${stepId}", on the same path (not inside a branch arm that may be skipped)`
      : scope.ctx.suggest(stepId, [...path.sends], 'earlier send'),
  );
}

function lowerCondition(scope: WorkflowScope, cond: ConditionSpec, path: PathState, branchId: string, at: () => ReturnType<LowerContext['where']>): Condition {
  switch (cond.op) {
    case 'and':
      return { op: 'and', all: cond.all.map((c) => lowerCondition(scope, c, path, branchId, at)) };
    case 'or':
      return { op: 'or', any: cond.any.map((c) => lowerCondition(scope, c, path, branchId, at)) };
    case 'not':
      return { op: 'not', cond: lowerCondition(scope, cond.cond, path, branchId, at) };
    case 'engaged':
      checkEarlierSend(scope, path, cond.step, branchId, at);
      return { ...cond };
    case 'activeWithin':
      return { op: 'activeWithin', durationMs: durationMs(scope.ctx, cond.duration, at) };
    case 'preference':
      if (!scope.bundle.categories[cond.category]) {
        scope.ctx.report(
          'unknown-reference',
          at(),
          `preference() names unknown category "${cond.category}"`,
          scope.ctx.suggest(cond.category, Object.keys(scope.bundle.categories), 'category'),
        );
      }
      return { ...cond };
    case 'compare':
      if (cond.left.ref.startsWith('fetched.')) {
        const problem = fetchedProblem(cond.left.ref, path.fetched);
        if (problem) scope.ctx.report('bad-fetch', at(), `branch "${branchId}": ${problem.message}`, problem.hint);
      }
      return cond.right === undefined
        ? { op: 'compare', left: { ...cond.left }, cmp: cond.cmp }
        : { op: 'compare', left: { ...cond.left }, cmp: cond.cmp, right: cond.right };
    case 'hasChannel':
      return { ...cond };
  }
}

function lowerBranch(scope: WorkflowScope, spec: Extract<StepSpec, { kind: 'branch' }>, path: PathState) {
  const at = () => scope.ctx.whereStep(scope.workflowId, spec.id, scope.file);
  const arms: Extract<Step, { kind: 'branch' }>['arms'] = [];
  let otherwise: Step[] = [];
  let sawOtherwise = false;
  const outcomes: { ends: boolean; path: PathState }[] = [];
  for (const arm of spec.arms) {
    if (sawOtherwise) {
      scope.ctx.report(
        'unreachable-step',
        at(),
        `branch "${spec.id}" has an arm after its otherwise arm: it can never be taken`,
        'move the otherwise arm last',
      );
      break;
    }
    const armPath = { sends: new Set(path.sends), elapsedMs: path.elapsedMs, ...(path.fetched ? { fetched: path.fetched } : {}) };
    if ('otherwise' in arm) {
      sawOtherwise = true;
      const lowered = lowerStepList(scope, arm.otherwise, armPath);
      otherwise = lowered.steps;
      outcomes.push(lowered);
    } else {
      const when = lowerCondition(scope, arm.when, path, spec.id, at);
      const lowered = lowerStepList(scope, arm.then, armPath);
      arms.push({ when, steps: lowered.steps });
      outcomes.push(lowered);
    }
  }
  if (!sawOtherwise) outcomes.push({ ends: false, path });
  const continuing = outcomes.filter((o) => !o.ends);
  const sends = continuing.length
    ? // biome-ignore lint/performance/noAccumulatingSpread: a branch has a handful of outcomes
      continuing.map((o) => o.path.sends).reduce((a, b) => new Set([...a].filter((x) => b.has(x))))
    : new Set<string>();
  const elapsedMs = Math.max(path.elapsedMs, ...outcomes.map((o) => o.path.elapsedMs));
  // As with sends: after the branch, only the fetches every continuing path made.
  const fetched = new Map([...(continuing[0]?.path.fetched ?? [])].filter(([id]) => continuing.every((o) => o.path.fetched?.has(id))));
  return {
    step: { kind: 'branch' as const, id: spec.id, arms, otherwise },
    ends: continuing.length === 0,
    path: { sends, elapsedMs, ...(fetched.size ? { fetched } : {}) },
  };
}

function lowerSend(scope: WorkflowScope, spec: Extract<StepSpec, { kind: 'send' }>, path: PathState) {
  const { ctx, workflowId, file, bundle } = scope;
  const at =
    (...field: string[]) =>
    () =>
      ctx.whereStep(workflowId, spec.id, file, field);
  const templateId = String(spec.template);
  const template = bundle.templates[templateId];
  if (!template) {
    ctx.report(
      'unknown-reference',
      at('template')(),
      `send "${spec.id}" uses unknown template "${templateId}"`,
      ctx.suggest(templateId, Object.keys(bundle.templates), 'template'),
    );
  } else if (scope.event !== null && template.event !== scope.event) {
    ctx.report(
      'template-event-mismatch',
      at('template')(),
      `send "${spec.id}" uses template "${templateId}", written for event "${template.event}", in a workflow triggered by "${scope.event}"`,
      `use a template whose data is the "${scope.event}" event`,
    );
  }
  let routing: Extract<Step, { kind: 'send' }>['routing'];
  if (spec.routing) {
    routing = { method: spec.routing.method, channels: [...spec.routing.channels], strategy: spec.routing.strategy ?? 'ordered' };
  } else if (spec.channel) {
    routing = { method: 'single', channels: [spec.channel], strategy: 'ordered' };
  } else {
    ctx.report(
      'invalid-definition',
      at()(),
      `send "${spec.id}" has neither a channel nor a routing`,
      "add channel: 'email', or routing: { method: 'single', channels: ['push', 'email'] }",
    );
    routing = { method: 'single', channels: ['email'], strategy: 'ordered' };
  }
  const channelField = spec.routing ? ['routing', 'channels'] : ['channel'];
  for (const channel of routing.channels) {
    if (template && !template.content[channel]) {
      ctx.report(
        'missing-channel-content',
        at(...channelField)(),
        `send "${spec.id}" uses ${channel}, but template "${templateId}" has no ${channel} content`,
        `add ${channel}: { … } to template "${templateId}", or remove ${channel} from this send`,
      );
    }
    if (!bundle.channels[channel]?.providers.length) {
      ctx.report(
        'no-provider',
        at(...channelField)(),
        `send "${spec.id}" uses ${channel}, but no provider serves ${channel}`,
        `define provider('…', { channel: '${channel}', kind: … })`,
      );
    }
  }
  const providers = spec.providers?.map(String);
  for (const id of providers ?? []) {
    const provider = bundle.providers[id];
    if (!provider)
      ctx.report(
        'unknown-reference',
        at('providers')(),
        `send "${spec.id}" names unknown provider "${id}"`,
        ctx.suggest(id, Object.keys(bundle.providers), 'provider'),
      );
    else if (!routing.channels.includes(provider.channel))
      ctx.report(
        'unknown-reference',
        at('providers')(),
        `provider "${id}" serves ${provider.channel}, which send "${spec.id}" does not use`,
        'name providers of the send’s channels only',
      );
  }
  const critical = spec.critical ?? false;
  if (critical && !scope.category?.required) {
    ctx.report(
      'critical-not-required',
      at('critical')(),
      `send "${spec.id}" is critical, but workflow "${workflowId}" is ${scope.category ? `in category "${scope.category.id}", which is not required` : 'in no category'}`,
      'critical sends bypass preferences and quiet hours, so they are allowed only in a required category (security codes, receipts)',
    );
  }
  const window = lowerWindow(scope, spec.window, at('window'));
  const readSync = spec.readSync === true && checkReadSync(scope, spec.id, routing.channels, at('readSync'));
  const step: Step = {
    kind: 'send',
    id: spec.id,
    template: templateId,
    routing,
    ...(providers ? { providers } : {}),
    ...(window ? { window } : {}),
    critical,
    ...(readSync ? { readSync: true as const } : {}),
  };
  if (template) checkFetchedVariables(scope, spec.id, template, path, at('template'));
  return { step, ends: false, path: { ...path, sends: new Set([...path.sends, spec.id]) } };
}

/** Read sync marks the other channels read when the in-app item is read: it needs both, or it could never act. */
function checkReadSync(scope: WorkflowScope, stepId: string, channels: readonly string[], where: () => SourceLocation): boolean {
  if (channels.includes('inapp') && channels.length > 1) return true;
  scope.ctx.report(
    'invalid-definition',
    where(),
    channels.includes('inapp')
      ? `send "${stepId}" has readSync, but in-app is its only channel: there is no other message to mark read`
      : `send "${stepId}" has readSync, but no in-app channel: only reading the in-app item marks the other channels read`,
    channels.includes('inapp')
      ? "route the send to inapp and another channel (routing: { method: 'all', channels: ['email', 'inapp'] }), or remove readSync"
      : `add 'inapp' to the send's channels, or remove readSync`,
  );
  return false;
}

/**
 * A template's `{{fetched.<step>.…}}` is checked here, at each send that uses it, because only the send's place in
 * the workflow says which fetches ran before it (the template alone is checked with `fetched` open, scope.ts).
 */
function checkFetchedVariables(scope: WorkflowScope, stepId: string, template: Bundle['templates'][string], path: PathState, where: () => SourceLocation) {
  for (const ref of fetchedRefs(scope, template)) {
    const problem = fetchedProblem(ref, path.fetched);
    if (problem)
      scope.ctx.report('bad-fetch', where(), `send "${stepId}" uses template "${template.id}", which reads {{${ref}}}: ${problem.message}`, problem.hint);
  }
}

/** Each template's `fetched.…` references, by build and template id: found once however many sends use it (parsing every field is the cost). */
const fetchedRefsOf = new WeakMap<WorkflowScope['ctx'], Map<string, readonly string[]>>();

function fetchedRefs(scope: WorkflowScope, template: Bundle['templates'][string]): readonly string[] {
  let byTemplate = fetchedRefsOf.get(scope.ctx);
  if (!byTemplate) fetchedRefsOf.set(scope.ctx, (byTemplate = new Map()));
  const known = byTemplate.get(template.id);
  if (known) return known;
  const schema = scope.bundle.events[template.event]?.schema;
  const refs = new Set<string>();
  if (schema) {
    const variables = scopeForEvent(schema);
    for (const content of [template.content, ...Object.values(template.locales)]) {
      for (const { source } of templateFields(content as Bundle['templates'][string]['content'])) {
        for (const use of templateVariables(source, variables)) {
          const ref = use.variable.replace(/^@root\./, '');
          if (ref.startsWith('fetched.')) refs.add(ref);
        }
      }
    }
  }
  const list = [...refs];
  byTemplate.set(template.id, list);
  return list;
}
