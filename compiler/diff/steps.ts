/**
 * Step-level changes inside one workflow. A step's id is its identity: a run in flight is parked at a step
 * id and resumes there after a deploy, so steps are matched by id wherever they sit in the tree, and
 * renames are told apart from edits (same content, new id) because to a parked run they are removals.
 */
import type { Step } from '../bundle/schema.ts';
import { condition, delayUntil, digestSchedule, duration, eventMatch, ifPast, json, sendWindow, STEP_VERB } from '../graph/describe.ts';
import { editScript } from './lcs.ts';
import type { Change, Rename, StepChanges } from './model.ts';
import { change, pairRenames, same } from './records.ts';
import { arrow, code, codeList } from './words.ts';

interface Placed {
  step: Step;
  /** Which sequence holds it: '' for the top level, `follow-up#2` for a branch arm, `follow-up#otherwise`. */
  parent: string;
  /** The same, for people. */
  where: string;
}

/** Every step by id, in reading order, with the sequence it sits in. */
export function placeSteps(steps: readonly Step[]): Map<string, Placed> {
  const out = new Map<string, Placed>();
  const walk = (list: readonly Step[], parent: string, where: string) => {
    for (const step of list) {
      out.set(step.id, { step, parent, where });
      if (step.kind !== 'branch') continue;
      step.arms.forEach((arm, i) => walk(arm.steps, `${step.id}#${i + 1}`, `${code(step.id)} › arm ${i + 1}`));
      walk(step.otherwise, `${step.id}#otherwise`, `${code(step.id)} › otherwise`);
    }
  };
  walk(steps, '', 'top level');
  return out;
}

/** A step without the steps nested in it: a branch's children are compared as steps of their own. */
function ownBody(step: Step): unknown {
  return step.kind === 'branch' ? { ...step, arms: step.arms.map((arm) => arm.when), otherwise: null } : step;
}

const title = (step: Step) => `${STEP_VERB[step.kind]} ${code(step.id)}`;

/** The field-by-field differences of two steps of the same kind and id. */
function fieldChanges(before: Step, after: Step): Change[] {
  const out: Change[] = [];
  const prefix = `steps.${after.id}`;
  const field = <T>(name: string, label: string, a: T, b: T, show: (v: T) => string) => {
    if (!same(a, b)) out.push(change(`${prefix}.${name}`, `${title(after)}: ${label} ${arrow(show(a), show(b))}`, a, b));
  };
  const ms = (v: number) => duration(v);
  const optional = (v: string | undefined) => (v === undefined ? 'none' : code(v));
  const signed = (v: number) => (v < 0 ? `-${duration(-v)}` : v === 0 ? '0s' : `+${duration(v)}`);

  if (before.kind === 'send' && after.kind === 'send') {
    field('template', 'template', before.template, after.template, code);
    field('routing.method', 'routing method', before.routing.method, after.routing.method, String);
    field('routing.channels', 'channels', before.routing.channels, after.routing.channels, (v) => v.join(', '));
    field('routing.strategy', 'routing strategy', before.routing.strategy, after.routing.strategy, String);
    field('providers', 'providers', before.providers, after.providers, (v) => (v ? codeList(v) : 'channel default'));
    field('window', 'send window', before.window, after.window, sendWindow);
    if (before.critical !== after.critical) {
      const what = after.critical ? 'now critical (ignores preferences and send windows)' : 'no longer critical';
      out.push(change(`${prefix}.critical`, `${title(after)}: ${what}`, before.critical, after.critical));
    }
    if ((before.readSync ?? false) !== (after.readSync ?? false)) {
      const what = after.readSync ? 'read sync on (reading the in-app item marks its other channels read)' : 'read sync off';
      out.push(change(`${prefix}.readSync`, `${title(after)}: ${what}`, before.readSync ?? false, after.readSync ?? false));
    }
  } else if (before.kind === 'delay' && after.kind === 'delay') {
    if ('durationMs' in before && 'durationMs' in after) field('durationMs', 'duration', before.durationMs, after.durationMs, ms);
    else if ('until' in before && 'until' in after) {
      field('until', 'until', before.until.ref, after.until.ref, code);
      field('offsetMs', 'offset', before.offsetMs, after.offsetMs, signed);
      field('ifPast', 'if past', before.ifPast, after.ifPast, (v) => ifPast(v).replace('if past: ', ''));
    } else {
      // A fixed delay became one until a moment of the run, or back: one line says both.
      const wait = (d: typeof before) => ('until' in d ? delayUntil(d) : duration(d.durationMs));
      field('wait', 'wait', before, after, wait);
    }
  } else if (before.kind === 'waitFor' && after.kind === 'waitFor') {
    const until = (u: typeof before.until) => (u.type === 'event' ? `event ${code(u.event)}` : `${code(u.step)} ${u.kind}`);
    // What is waited for, then which of those events count (its match): a changed match is a line of its own.
    const waited = (u: typeof before.until) => (u.type === 'event' ? { type: u.type, event: u.event } : u);
    const keyOf = (u: typeof before.until) => (u.type === 'event' ? u.match : undefined);
    field('until', 'until', waited(before.until), waited(after.until), until);
    field('until.match', 'match', keyOf(before.until), keyOf(after.until), (m) => (m ? code(eventMatch(m)) : 'none (any such event of the user)'));
    field('timeoutMs', 'timeout', before.timeoutMs, after.timeoutMs, ms);
  } else if (before.kind === 'digest' && after.kind === 'digest') {
    if ('windowMs' in before && 'windowMs' in after) field('windowMs', 'window', before.windowMs, after.windowMs, ms);
    else if ('schedule' in before && 'schedule' in after) field('schedule', 'schedule', before.schedule, after.schedule, digestSchedule);
    else {
      const closes = (d: typeof before) => ('schedule' in d ? `schedule ${digestSchedule(d.schedule)}` : `window ${duration(d.windowMs)}`);
      out.push(change(`${prefix}.closes`, `${title(after)}: ${arrow(closes(before), closes(after))}`, closes(before), closes(after)));
    }
    field('key', 'key', before.key, after.key, optional);
    field('maxItems', 'max items', before.maxItems, after.maxItems, (v) => (v === undefined ? 'all' : String(v)));
  } else if (before.kind === 'throttle' && after.kind === 'throttle') {
    field('limit', 'limit', before.limit, after.limit, String);
    field('windowMs', 'window', before.windowMs, after.windowMs, ms);
    field('key', 'key', before.key, after.key, optional);
  } else if (before.kind === 'updateProfile' && after.kind === 'updateProfile') {
    const value = (v: (typeof before.set)[string] | undefined) => (v === undefined ? 'unset' : 'ref' in v ? code(v.ref) : code(json(v.value)));
    for (const path of [...new Set([...Object.keys(before.set), ...Object.keys(after.set)])].sort()) {
      field(`set.${path}`, `set ${code(path)}`, before.set[path], after.set[path], value);
    }
  } else if (before.kind === 'cancel' && after.kind === 'cancel') {
    field('reason', 'reason', before.reason, after.reason, (v) => (v === undefined ? 'none' : code(v)));
  } else if (before.kind === 'fetch' && after.kind === 'fetch') {
    field('url', 'url', before.url, after.url, code);
    // A header's source, never its value's: `env SHOP_TOKEN` or `literal` (a literal could be a pasted token).
    const header = (h: NonNullable<typeof before.headers>[string] | undefined) => (h === undefined ? 'none' : 'env' in h ? `env ${code(h.env)}` : 'literal');
    for (const name of [...new Set([...Object.keys(before.headers ?? {}), ...Object.keys(after.headers ?? {})])].sort()) {
      field(`headers.${name}`, `header ${code(name)}`, before.headers?.[name], after.headers?.[name], header);
    }
    field('response', 'response schema', before.response, after.response, (v) => code(json(v)));
    field('timeoutMs', 'timeout', before.timeoutMs, after.timeoutMs, ms);
    field('onError', 'on error', before.onError, after.onError, String);
  } else if (before.kind === 'branch' && after.kind === 'branch') {
    // Arms are matched by position: their order is their meaning (the first arm that holds runs).
    const arms = Math.max(before.arms.length, after.arms.length);
    for (let i = 0; i < arms; i++) {
      const a = before.arms[i];
      const b = after.arms[i];
      const path = `${prefix}.arms.${i + 1}`;
      if (a && b) {
        if (!same(a.when, b.when))
          out.push(
            change(`${path}.when`, `${title(after)}: arm ${i + 1} condition ${arrow(code(condition(a.when)), code(condition(b.when)))}`, a.when, b.when),
          );
      } else if (b) {
        out.push(change(path, `${title(after)}: arm ${i + 1} added, when ${code(condition(b.when))}`, undefined, b.when));
      } else if (a) {
        out.push(change(path, `${title(after)}: arm ${i + 1} removed (was when ${code(condition(a.when))})`, a.when, undefined));
      }
    }
  }
  return out;
}

/**
 * Steps whose order changed inside a sequence they stayed in: in each sequence, the steps on both sides
 * that are not part of the longest run kept in order.
 */
function reordered(base: Map<string, Placed>, head: Map<string, Placed>, identity: (baseId: string) => string): Set<string> {
  const moved = new Set<string>();
  const parents = new Set([...head.values()].map((p) => p.parent));
  for (const parent of parents) {
    const stays = (headId: string, baseId: string) => base.get(baseId)?.parent === parent && head.get(headId)?.parent === parent;
    const before = [...base.entries()].filter(([id]) => stays(identity(id), id)).map(([id]) => identity(id));
    const after = [...head.entries()].filter(([id, p]) => p.parent === parent && before.includes(id)).map(([id]) => id);
    for (const edit of editScript(before, after)) if (edit.op === 'insert') moved.add(edit.b);
  }
  return moved;
}

/** "now after `wait-1h`" / "now first in `follow-up` › arm 1". */
function position(id: string, head: Map<string, Placed>): string {
  const place = head.get(id)!;
  const siblings = [...head.entries()].filter(([, p]) => p.parent === place.parent).map(([sid]) => sid);
  const index = siblings.indexOf(id);
  return index > 0 ? `now after ${code(siblings[index - 1]!)}` : `now first in ${place.where}`;
}

export function diffSteps(baseSteps: readonly Step[], headSteps: readonly Step[]): { changes: Change[]; steps: StepChanges } {
  const base = placeSteps(baseSteps);
  const head = placeSteps(headSteps);
  const removedIds = [...base.keys()].filter((id) => !head.has(id));
  const addedIds = [...head.keys()].filter((id) => !base.has(id));
  const renamed: Rename[] = pairRenames(
    removedIds,
    addedIds,
    Object.fromEntries([...base].map(([id, p]) => [id, p.step])),
    Object.fromEntries([...head].map(([id, p]) => [id, p.step])),
    (a, b) => a.kind === b.kind && same({ ...(ownBody(a) as object), id: '' }, { ...(ownBody(b) as object), id: '' }),
  );
  const renamedTo = new Map(renamed.map((r) => [r.from, r.to]));
  const identity = (baseId: string) => renamedTo.get(baseId) ?? baseId;
  const baseOf = new Map([...base.keys()].map((id) => [identity(id), id]));
  const moved = reordered(base, head, identity);

  const steps: StepChanges = { added: [], removed: [], renamed, replaced: [], changed: [] };
  const changes: Change[] = [];

  const common = (headId: string) => {
    const baseId = baseOf.get(headId)!;
    const before = base.get(baseId)!;
    const after = head.get(headId)!;
    const own: Change[] = [];
    if (baseId !== headId) {
      own.push(change(`steps.${baseId}`, `${title(before.step)} renamed to ${code(headId)}`, baseId, headId));
    }
    if (before.step.kind !== after.step.kind) {
      steps.replaced.push(headId);
      own.push(
        change(
          `steps.${headId}.kind`,
          `step ${code(headId)}: ${arrow(STEP_VERB[before.step.kind], STEP_VERB[after.step.kind])}`,
          before.step.kind,
          after.step.kind,
        ),
      );
    } else {
      own.push(...fieldChanges({ ...before.step, id: headId } as Step, after.step));
    }
    if (before.parent !== after.parent) {
      own.push(change(`steps.${headId}.place`, `${title(after.step)} moved: ${arrow(before.where, after.where)}`, before.parent, after.parent));
    } else if (moved.has(headId)) {
      own.push(change(`steps.${headId}.place`, `${title(after.step)} moved: ${position(headId, head)}`));
    }
    if (own.length && !steps.replaced.includes(headId)) steps.changed.push(headId);
    changes.push(...own);
  };

  // Walk both sides in reading order, so removed steps are reported where they used to be.
  const baseOrder = [...base.keys()].map(identity);
  const headOrder = [...head.keys()];
  const inHead = new Set(headOrder);
  const inBase = new Set(baseOrder);
  for (const edit of editScript(baseOrder, headOrder)) {
    if (edit.op === 'equal') common(edit.b);
    else if (edit.op === 'insert') {
      if (inBase.has(edit.b)) common(edit.b);
      else {
        const placed = head.get(edit.b)!;
        steps.added.push(edit.b);
        const where = placed.parent === '' ? '' : ` in ${placed.where}`;
        changes.push(change(`steps.${edit.b}`, `${title(placed.step)} added${where}`, undefined, placed.step));
      }
    } else if (!inHead.has(edit.a)) {
      const placed = base.get(edit.a)!;
      steps.removed.push(edit.a);
      const where = placed.parent === '' ? '' : ` from ${placed.where}`;
      changes.push(change(`steps.${edit.a}`, `${title(placed.step)} removed${where}`, placed.step, undefined));
    }
  }
  return { changes, steps };
}
