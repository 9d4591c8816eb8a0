/**
 * Bundle values as short plain text for people: durations, conditions, routing, send windows, triggers.
 * One module, so a diagram node and a diff line describe the same step in the same words. Plain text only
 * (no Markdown, no HTML): each renderer escapes and decorates for its own medium.
 */
import type {
  Broadcast,
  CancelOn,
  Condition,
  DelayStep,
  DigestSchedule,
  EventMatch,
  FanoutRate,
  JsonValue,
  Recipients,
  Routing,
  SendWindow,
  Step,
  Workflow,
} from '../bundle/schema.ts';
import { formatDuration } from '../dsl/duration.ts';

/** 7_200_000 → `2h`, 90 minutes → `90m`, 0 → `0s`: the form an author writes in the DSL. */
export function duration(ms: number): string {
  return ms === 0 ? '0s' : formatDuration(ms);
}

const CMP: Record<Extract<Condition, { op: 'compare' }>['cmp'], string> = {
  eq: '==',
  neq: '!=',
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
  in: 'in',
  contains: 'contains',
  exists: 'exists',
};

export function json(value: JsonValue | undefined): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

/** `data.plan == "pro" and user active within 5m`; nested and/or are parenthesised so precedence reads right. */
export function condition(c: Condition): string {
  const inner = (x: Condition) => (x.op === 'and' || x.op === 'or' ? `(${condition(x)})` : condition(x));
  switch (c.op) {
    case 'and':
      return c.all.length ? c.all.map(inner).join(' and ') : 'always';
    case 'or':
      return c.any.length ? c.any.map(inner).join(' or ') : 'never';
    case 'not':
      return `not ${inner(c.cond)}`;
    case 'compare':
      return c.cmp === 'exists' ? `${c.left.ref} exists` : `${c.left.ref} ${CMP[c.cmp]} ${json(c.right)}`;
    case 'engaged':
      return `${c.step} ${c.kind}`;
    case 'activeWithin':
      return `user active within ${duration(c.durationMs)}`;
    case 'hasChannel':
      return `user has ${c.channel}`;
    case 'preference':
      return `user allows ${c.category} on ${c.channel}`;
  }
}

/** `email → sms` (single: first that reaches the user, in order) or `email + push` (all at once). */
export function routing(r: Routing): string {
  const channels = r.channels.join(r.method === 'single' ? ' → ' : ' + ');
  return r.strategy === 'user-preference' ? `${channels} (user's preferred first)` : channels;
}

const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function minuteOfDay(m: number): string {
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** Runs of consecutive days collapse (`Mon–Fri`), so the common windows read as they were authored. */
function days(list: number[]): string {
  const sorted = [...new Set(list)].sort((a, b) => a - b);
  if (sorted.length === 7) return 'daily';
  const runs: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    const from = DAY_NAMES[sorted[i]! - 1]!;
    runs.push(
      j - i >= 2
        ? `${from}–${DAY_NAMES[sorted[j]! - 1]}`
        : sorted
            .slice(i, j + 1)
            .map((d) => DAY_NAMES[d - 1])
            .join(', '),
    );
    i = j + 1;
  }
  return runs.join(', ');
}

export function sendWindow(w: SendWindow | undefined): string {
  if (!w) return 'any time';
  const zone = w.timezone === 'user' ? "user's timezone" : w.timezone;
  return `${days(w.days)} ${minuteOfDay(w.startMinute)}–${minuteOfDay(w.endMinute)} (${zone})`;
}

/** `Mon–Fri at 09:00 (user's timezone)`: when a scheduled digest goes out. */
export function digestSchedule(schedule: DigestSchedule): string {
  const zone = schedule.timezone === 'user' ? "user's timezone" : schedule.timezone;
  return `${days(schedule.days)} at ${minuteOfDay(schedule.atMinute)} (${zone})`;
}

/** `3d before data.trial_ends_at`, `2h after user.traits.renewal_date`, `until data.starts_at`. */
export function delayUntil(step: Extract<DelayStep, { until: unknown }>): string {
  const ref = step.until.ref;
  if (step.offsetMs === 0) return `until ${ref}`;
  return `${duration(Math.abs(step.offsetMs))} ${step.offsetMs < 0 ? 'before' : 'after'} ${ref}`;
}

/** What a delay until a moment does with a moment already gone. */
export function ifPast(policy: 'run' | 'skip'): string {
  return policy === 'skip' ? 'if past: end the run' : 'if past: go on at once';
}

export function trigger(t: Workflow['trigger']): string {
  return t.type === 'event' ? `event ${t.event}` : `schedule ${t.cron}`;
}

/** `audience eu-free-plan`, `list newsletter`: who a broadcast or a scheduled workflow reaches. */
export function recipients(r: Recipients): string {
  return 'audience' in r ? `audience ${r.audience}` : `list ${r.list}`;
}

const RATE_UNITS: [number, string][] = [
  [1_000, 's'],
  [60_000, 'min'],
  [3_600_000, 'h'],
];

/** `500/min` as authored; any other span as `500 per 90s`; none: `unlimited`. */
export function fanoutRate(rate: FanoutRate | undefined): string {
  if (!rate) return 'unlimited';
  const unit = RATE_UNITS.find(([ms]) => ms === rate.perMs);
  return unit ? `${rate.max}/${unit[1]}` : `${rate.max} per ${duration(rate.perMs)}`;
}

/** A broadcast's heading lines: who it reaches, at what rate, in which window, in which category. */
export function broadcastLines(b: Broadcast): string[] {
  return [
    `broadcast ${b.id} to ${recipients(b.recipients)}`,
    `rate ${fanoutRate(b.rate)}`,
    ...(b.window ? [`window ${sendWindow(b.window)}`] : []),
    ...(b.category ? [`category ${b.category}`] : []),
  ];
}

/** `where cart_id = data.cart_id`: a keyed wait or cancel's pairs, the trigger's side written as conditions write it. */
export function eventMatch(match: EventMatch): string {
  const pairs = Object.entries(match).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `where ${pairs.map(([event, data]) => `${event} = data.${data}`).join(' and ')}`;
}

/** `cancelled by checkout_completed`, with its match when keyed. */
export function cancelOn(entry: CancelOn): string {
  return typeof entry === 'string' ? `cancelled by ${entry}` : `cancelled by ${entry.event} ${eventMatch(entry.match)}`;
}

/** The verb a step is called by in diagrams and diff lines: `wait welcome-opened`, not `waitFor …`. */
export const STEP_VERB: Record<Step['kind'], string> = {
  send: 'send',
  delay: 'delay',
  waitFor: 'wait',
  digest: 'digest',
  throttle: 'throttle',
  updateProfile: 'update profile',
  cancel: 'cancel',
  fetch: 'fetch',
  branch: 'branch',
};

/**
 * The facts about one step that fit under its name in a diagram. Children of a branch are not described
 * here: they are nodes of their own.
 */
export function stepDetails(step: Step): string[] {
  switch (step.kind) {
    case 'send':
      return [
        routing(step.routing),
        `template ${step.template}`,
        ...(step.providers ? [`via ${step.providers.join(', ')}`] : []),
        ...(step.window ? [`window ${sendWindow(step.window)}`] : []),
        ...(step.critical ? ['critical'] : []),
        ...(step.readSync ? ['read sync'] : []),
      ];
    case 'delay':
      return 'until' in step ? [delayUntil(step), ifPast(step.ifPast)] : [duration(step.durationMs)];
    case 'waitFor':
      return [
        step.until.type === 'event' ? `until event ${step.until.event}` : `until ${step.until.step} ${step.until.kind}`,
        ...(step.until.type === 'event' && step.until.match ? [eventMatch(step.until.match)] : []),
        `timeout ${duration(step.timeoutMs)}`,
      ];
    case 'digest':
      return [
        'schedule' in step ? `schedule ${digestSchedule(step.schedule)}` : `window ${duration(step.windowMs)}`,
        ...(step.key ? [`per ${step.key}`] : []),
        ...(step.maxItems === undefined ? [] : [`at most ${step.maxItems} items`]),
      ];
    case 'throttle':
      return [`${step.limit} per ${duration(step.windowMs)}`, ...(step.key ? [`per ${step.key}`] : [])];
    case 'updateProfile':
      return Object.keys(step.set)
        .sort()
        .map((path) => `set ${path}`);
    case 'cancel':
      return step.reason ? [step.reason] : [];
    case 'fetch':
      // Header names only: a value may be a secret's name, and the diagram is about the request's shape.
      return [
        `GET ${step.url}`,
        ...(step.headers ? [`headers ${Object.keys(step.headers).sort().join(', ')}`] : []),
        `timeout ${duration(step.timeoutMs)}`,
        `on error ${step.onError}`,
      ];
    case 'branch':
      return [];
  }
}
