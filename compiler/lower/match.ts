/**
 * Checks the `match` of a keyed wait or cancel against the two events' schemas: each key a field of the waited
 * (or cancelling) event, each value a field of the trigger, the two of a type that can be equal. Fields are read
 * with the shapes that template variables are checked with (templates/shape.ts).
 */
import type { Bundle, EventMatch } from '../bundle/schema.ts';
import type { SourceLocation } from '../diagnostics/diagnostic.ts';
import { closest } from '../templates/closest.ts';
import { describeShape, type Shape, shapeAt, shapeFromJsonSchema } from '../templates/shape.ts';
import type { LowerContext } from './context.ts';

export interface MatchInput {
  /** How messages name the listener: `cancelOn "checkout_completed"`, `waitFor "paid"`. */
  label: string;
  workflowId: string;
  /** The waited or cancelling event. */
  event: string;
  /** The workflow's trigger event, or null for a scheduled workflow. */
  trigger: string | null;
  /** As written: checked here, so anything may come in. */
  match: unknown;
  at: () => SourceLocation;
}

/** `message` says why a nested path fails (`: "order" has no field "idd"`); empty when its first field is missing. */
type Field = { ok: true; shape: Shape } | { ok: false; message: string; hint?: string };

/** The lowered match, or undefined when there is none (or it is broken: each problem was reported). */
export function lowerMatch(ctx: LowerContext, events: Bundle['events'], input: MatchInput): EventMatch | undefined {
  if (input.match === undefined) return undefined;
  const { label, workflowId, event, trigger } = input;
  const head = `workflow "${workflowId}", ${label}`;
  const entries = isStringRecord(input.match) ? Object.entries(input.match) : null;
  if (!entries || entries.length === 0) {
    ctx.report(
      'invalid-definition',
      input.at(),
      `${head}: match must pair at least one field, as { <field of "${event}">: '<field of the trigger>' }`,
      "e.g. match: { cart_id: 'cart_id' }; or remove match to react to any such event of the user",
    );
    return undefined;
  }
  if (trigger === null) {
    ctx.report('bad-match', input.at(), `${head}: a scheduled workflow has no trigger data to match "${event}" against`, 'remove match');
    return undefined;
  }
  let ok = true;
  const problem = (message: string, hint?: string) => {
    ok = false;
    ctx.report('bad-match', input.at(), `${head}: ${message}`, hint);
  };
  const eventSchema = events[event]?.schema;
  const triggerSchema = events[trigger]?.schema;
  const eventShape = eventSchema ? shapeFromJsonSchema(eventSchema as Parameters<typeof shapeFromJsonSchema>[0]) : undefined;
  const triggerShape = triggerSchema ? shapeFromJsonSchema(triggerSchema as Parameters<typeof shapeFromJsonSchema>[0]) : undefined;
  for (const [left, right] of entries) {
    // An event whose schema is missing or broken was reported where it is defined: its side is not checked.
    const l = eventShape ? fieldAt(eventShape, left, event) : null;
    const r = triggerShape ? fieldAt(triggerShape, right, trigger) : null;
    const pair = `match "${left}" → "${right}" pairs event "${event}" with the trigger "${trigger}"`;
    if (l && !l.ok) problem(`${pair}, but "${left}" is not a field of "${event}"${l.message}`, l.hint);
    if (r && !r.ok) problem(`${pair}, but "${right}" is not a field of "${trigger}"${r.message}`, r.hint);
    if (l?.ok && r?.ok && !canBeEqual(l.shape, r.shape)) {
      problem(
        `${pair}, but "${left}" is ${describeShape(l.shape)} and "${right}" is ${describeShape(r.shape)}: they can never be equal`,
        'pair fields that hold the same kind of value (an id with the same id)',
      );
    }
  }
  const lefts = entries.map(([left]) => left);
  for (const left of lefts) {
    const inner = lefts.find((other) => other.startsWith(`${left}.`));
    if (inner) problem(`"${left}" and "${inner}" overlap: one is inside the other`, `match "${inner}" alone, or "${left}" alone`);
  }
  return ok ? Object.fromEntries(entries) : undefined;
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string' && v.length > 0);
}

/** The shape at a dot path of event data; paths stop at lists (a match compares one value with one value). */
function fieldAt(root: Shape, path: string, eventName: string): Field {
  const segments = path.split('.');
  const found = shapeAt(root, segments, 'none');
  if (found.ok) return found;
  const { index: i, parent } = found;
  const segment = segments[i]!;
  const owner = segments.slice(0, i).join('.');
  if (parent.kind !== 'object') return { ok: false, message: `: "${owner}" is ${describeShape(parent)} and has no field "${segment}"` };
  const fields = [...parent.fields.keys()];
  const guess = closest(segment, fields);
  const written = (candidate: string) => [...segments.slice(0, i), candidate].join('.');
  return {
    ok: false,
    message: owner ? `: "${owner}" has no field "${segment}"` : '',
    hint: guess ? `did you mean "${written(guess)}"?` : `"${owner || eventName}" has: ${fields.map((f) => `"${f}"`).join(', ') || '(no fields)'}`,
  };
}

/** JSON types a shape may hold; null when anything goes (an untyped field, an enum without a type). */
function typesOf(shape: Shape): Set<string> | null {
  if (shape.kind === 'any') return null;
  if (shape.kind !== 'scalar') return new Set([shape.kind]);
  const types = shape.type.split(' | ').map((t) => (t === 'integer' ? 'number' : t));
  return types.includes('value') ? null : new Set(types);
}

function canBeEqual(a: Shape, b: Shape): boolean {
  const left = typesOf(a);
  const right = typesOf(b);
  return left === null || right === null || [...left].some((t) => right.has(t));
}
