/**
 * Lowers a delay: a fixed duration, or `until` a moment the run carries. The moment must be a date-time string
 * the runtime can read: a field of the trigger's data declared `z.iso.datetime()` (JSON Schema `format:
 * date-time`), or a user trait (traits are untyped, so accepted unchecked; the runtime treats a bad value as
 * past).
 */
import type { DelayStep, JsonValue } from '../bundle/schema.ts';
import type { DelaySpec } from '../dsl/definitions.ts';
import type { SourceLocation } from '../diagnostics/diagnostic.ts';
import { closest } from '../templates/closest.ts';
import { durationMs, offsetMs } from './durations.ts';
import type { WorkflowScope } from './steps.ts';

type Json = JsonValue | undefined;
type JsonObject = { [key: string]: JsonValue };
const isObject = (v: Json): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The lowered step and how long it surely waits (0 for `until`: unknown before the run). */
export function lowerDelay(scope: WorkflowScope, spec: DelaySpec, at: (...field: string[]) => () => SourceLocation): { step: DelayStep; waitMs: number } {
  const { ctx } = scope;
  if (spec.until === undefined) {
    if (spec.duration === undefined) {
      ctx.report(
        'invalid-definition',
        at()(),
        `delay "${spec.id}" needs a duration or an until`,
        "write s.delay(id, '1h'), or s.delay(id, { until: s.data('…'), offset: '-3d' })",
      );
      return { step: { kind: 'delay', id: spec.id, durationMs: 0 }, waitMs: 0 };
    }
    const ms = durationMs(ctx, spec.duration, at());
    return { step: { kind: 'delay', id: spec.id, durationMs: ms }, waitMs: ms };
  }
  const ref = String(spec.until?.ref ?? '');
  checkUntil(scope, spec.id, ref, at('until'));
  const offset = spec.offset === undefined ? 0 : offsetMs(ctx, spec.offset, at('offset'));
  const ifPast = spec.ifPast ?? 'run';
  if (ifPast !== 'run' && ifPast !== 'skip') {
    ctx.report(
      'invalid-definition',
      at('ifPast')(),
      `delay "${spec.id}" has ifPast "${String(ifPast)}"`,
      "write ifPast: 'run' (go on at once) or 'skip' (end the run)",
    );
  }
  return { step: { kind: 'delay', id: spec.id, until: { ref }, offsetMs: offset, ifPast: ifPast === 'skip' ? 'skip' : 'run' }, waitMs: 0 };
}

function checkUntil(scope: WorkflowScope, stepId: string, ref: string, at: () => SourceLocation): void {
  const { ctx } = scope;
  const head = `delay "${stepId}" waits until ${ref || 'nothing'}`;
  if (/^user\.traits\.[^.]/.test(ref)) return;
  if (!ref.startsWith('data.') || ref === 'data.') {
    ctx.report(
      'bad-until',
      at(),
      `${head}: until must be a date-time of the trigger's data or a user trait`,
      "write until: s.data('trial_ends_at') or until: s.user.trait('renewal_date')",
    );
    return;
  }
  if (scope.event === null) {
    ctx.report('bad-until', at(), `${head}, but a scheduled workflow has no trigger data`, "use a trait: until: s.user.trait('renewal_date')");
    return;
  }
  const schema = scope.bundle.events[scope.event]?.schema;
  if (!schema) return; // an unknown or broken trigger is reported where the workflow names it
  const path = ref.slice('data.'.length);
  const found = schemaAt(schema as JsonObject, path);
  if ('missing' in found) {
    ctx.report('bad-until', at(), `${head}, but event "${scope.event}" has no field "${found.missing}"`, found.hint);
    return;
  }
  if (!isDateTime(found.node, schema as JsonObject)) {
    ctx.report(
      'bad-until',
      at(),
      `${head}, but "${path}" of event "${scope.event}" is not a date-time string`,
      `declare it z.iso.datetime() in the schema of "${scope.event}" (JSON Schema format date-time), so every run carries a moment the runtime can read`,
    );
  }
}

function resolve(node: Json, root: JsonObject, seen = new Set<string>()): Json {
  if (!isObject(node) || typeof node.$ref !== 'string') return node;
  const ref = node.$ref;
  if (seen.has(ref) || (ref !== '#' && !ref.startsWith('#/'))) return undefined;
  seen.add(ref);
  let target: Json = root;
  for (const raw of ref === '#' ? [] : ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    target = isObject(target) ? target[key] : undefined;
  }
  return resolve(target, root, seen);
}

/** The non-null alternatives of a node (`.nullable()` is `anyOf [x, null]`). */
function alternatives(node: Json, root: JsonObject): Json[] {
  const n = resolve(node, root);
  if (!isObject(n)) return [n];
  const list = [n.anyOf, n.oneOf].find(Array.isArray);
  if (!list) return [n];
  return list.flatMap((alt) => alternatives(alt, root)).filter((alt) => !(isObject(alt) && alt.type === 'null'));
}

/** The schema node of a data path, or the first missing segment with a suggestion. */
function schemaAt(root: JsonObject, path: string): { node: Json } | { missing: string; hint: string } {
  let nodes: Json[] = [root];
  for (const segment of path.split('.')) {
    const next = nodes
      .flatMap((node) => alternatives(node, root))
      .flatMap((node) => {
        const properties = isObject(node) && isObject(node.properties) ? node.properties : undefined;
        return properties && Object.hasOwn(properties, segment) ? [properties[segment]] : [];
      });
    if (next.length === 0) {
      const known = nodes
        .flatMap((node) => alternatives(node, root))
        .flatMap((node) => (isObject(node) && isObject(node.properties) ? Object.keys(node.properties) : []));
      const guess = closest(segment, known);
      return { missing: segment, hint: guess ? `did you mean "${guess}"?` : `its fields: ${known.map((k) => `"${k}"`).join(', ') || '(none)'}` };
    }
    nodes = next;
  }
  return { node: nodes.length === 1 ? nodes[0] : { anyOf: nodes as JsonValue[] } };
}

/** Every non-null alternative is a string of format date-time. */
function isDateTime(node: Json, root: JsonObject): boolean {
  const list = alternatives(node, root);
  return list.length > 0 && list.every((alt) => isObject(alt) && alt.type === 'string' && alt.format === 'date-time');
}
