/**
 * The shape of the values a template can read, reduced from JSON Schema to what a variable check needs:
 * which fields an object has, what an array holds, and where anything goes.
 */

export type Shape =
  | { kind: 'object'; fields: Map<string, Shape> /** Shape of keys not in `fields`; undefined = no other keys. */; rest?: Shape }
  | { kind: 'array'; items: Shape }
  | { kind: 'scalar'; type: string }
  | { kind: 'any' };

export const ANY: Shape = { kind: 'any' };
export const scalar = (type: string): Shape => ({ kind: 'scalar', type });
export const objectOf = (fields: Record<string, Shape>, rest?: Shape): Shape => ({
  kind: 'object',
  fields: new Map(Object.entries(fields)),
  ...(rest ? { rest } : {}),
});

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Converts a JSON Schema (draft 2020-12, as `z.toJSONSchema` emits it) into a Shape. Handles `properties`,
 * `additionalProperties`, `items`/`prefixItems`, `anyOf`/`oneOf`/`allOf`, `type` lists, and local `$ref`s
 * (`#`, `#/$defs/…`, `#/definitions/…`), recursive ones included. Anything it cannot read becomes `any`, so
 * an exotic schema never makes a valid template fail.
 */
export function shapeFromJsonSchema(root: JsonObject): Shape {
  const memo = new Map<JsonObject, Shape>();

  const resolveRef = (ref: string): JsonObject | undefined => {
    if (ref === '#') return root;
    if (!ref.startsWith('#/')) return undefined;
    let node: Json | undefined = root;
    for (const raw of ref.slice(2).split('/')) {
      const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      node = isObject(node) ? node[key] : undefined;
    }
    return isObject(node) ? node : undefined;
  };

  const convert = (schema: Json | undefined): Shape => {
    if (schema === true || schema === undefined) return ANY;
    if (!isObject(schema)) return ANY;
    const known = memo.get(schema);
    if (known) return known;
    if (typeof schema.$ref === 'string') {
      const target = resolveRef(schema.$ref);
      // The target's own shape, not a copy: it may still be under construction (a recursive schema).
      const shape = target ? convert(target) : ANY;
      memo.set(schema, shape);
      return shape;
    }
    // A placeholder filled in place lets recursive schemas (`children: Node[]`) terminate.
    const placeholder: Shape = { kind: 'any' };
    memo.set(schema, placeholder);
    return Object.assign(placeholder, convertPlain(schema));
  };

  const convertPlain = (schema: JsonObject): Shape => {
    const alternatives = [schema.anyOf, schema.oneOf].find(Array.isArray);
    if (alternatives) return union(alternatives.map(convert));
    if (Array.isArray(schema.allOf)) return intersection(schema.allOf.map(convert));
    const types = Array.isArray(schema.type) ? schema.type : typeof schema.type === 'string' ? [schema.type] : [];
    const shapes: Shape[] = [];
    for (const type of types) {
      if (type === 'object') shapes.push(convertObject(schema));
      else if (type === 'array') shapes.push(convertArray(schema));
      else if (typeof type === 'string') shapes.push(scalar(type));
    }
    if (shapes.length === 0) {
      if (isObject(schema.properties) || schema.additionalProperties !== undefined) return convertObject(schema);
      if (schema.items !== undefined || schema.prefixItems !== undefined) return convertArray(schema);
      if (schema.const !== undefined || Array.isArray(schema.enum)) return scalar('value');
      return ANY;
    }
    return union(shapes);
  };

  const convertObject = (schema: JsonObject): Shape => {
    const fields = new Map<string, Shape>();
    if (isObject(schema.properties)) {
      for (const [key, sub] of Object.entries(schema.properties)) fields.set(key, convert(sub));
    }
    // JSON Schema allows any other key unless told otherwise; zod's strict objects say `false`.
    const extra = schema.additionalProperties;
    // zod objects strip unknown keys, and their input-mode JSON Schema leaves `additionalProperties` out:
    // an object with declared properties is closed unless it says otherwise (z.looseObject, z.record).
    const closed = extra === false || (extra === undefined && isObject(schema.properties));
    const rest = closed ? undefined : extra === undefined || extra === true ? ANY : convert(extra);
    return { kind: 'object', fields, ...(rest ? { rest } : {}) };
  };

  const convertArray = (schema: JsonObject): Shape => {
    const parts: Shape[] = [];
    if (Array.isArray(schema.prefixItems)) parts.push(...schema.prefixItems.map(convert));
    if (schema.items !== false && schema.items !== undefined) parts.push(convert(schema.items));
    if (parts.length === 0 && schema.items === undefined && schema.prefixItems === undefined) parts.push(ANY);
    return { kind: 'array', items: parts.length ? union(parts) : ANY };
  };

  return convert(root);
}

/** A value that may be any of `shapes`: a field is readable if some alternative has it. */
export function union(shapes: Shape[]): Shape {
  const useful = shapes.filter((s) => !(s.kind === 'scalar' && s.type === 'null'));
  if (useful.length === 0) return shapes[0] ?? ANY;
  if (useful.length === 1) return useful[0]!;
  if (useful.some((s) => s.kind === 'any')) return ANY;
  const kinds = new Set(useful.map((s) => s.kind));
  if (kinds.size > 1) return ANY;
  const [first] = useful;
  if (first!.kind === 'scalar') return scalar([...new Set(useful.map((s) => (s as { type: string }).type))].join(' | '));
  if (first!.kind === 'array') return { kind: 'array', items: union(useful.map((s) => (s as { items: Shape }).items)) };
  return mergeObjects(useful as Extract<Shape, { kind: 'object' }>[]);
}

/** A value that is all of `shapes` at once (`allOf`): fields of every part. */
function intersection(shapes: Shape[]): Shape {
  const objects = shapes.filter((s): s is Extract<Shape, { kind: 'object' }> => s.kind === 'object');
  if (objects.length === 0) return union(shapes);
  const merged = mergeObjects(objects);
  // allOf narrows: a closed part closes the whole.
  if (merged.kind === 'object' && objects.some((o) => o.rest === undefined)) delete merged.rest;
  return merged;
}

function mergeObjects(objects: Extract<Shape, { kind: 'object' }>[]): Shape {
  const fields = new Map<string, Shape>();
  for (const o of objects) {
    for (const [key, shape] of o.fields) {
      const seen = fields.get(key);
      fields.set(key, seen ? union([seen, shape]) : shape);
    }
  }
  const rests = objects.flatMap((o) => (o.rest ? [o.rest] : []));
  return { kind: 'object', fields, ...(rests.length ? { rest: union(rests) } : {}) };
}

/** Plain words for a shape, for messages: `a string`, `a list`, `an object`. */
export function describeShape(shape: Shape): string {
  if (shape.kind === 'array') return 'a list';
  if (shape.kind === 'object') return 'an object';
  if (shape.kind === 'any') return 'a value';
  return /^[aeiou]/.test(shape.type) ? `an ${shape.type}` : `a ${shape.type}`;
}

/** Where a walk along a path stopped: the shape reached, or the index of the segment that `parent` lacks. */
export type ShapeAt = { ok: true; shape: Shape } | { ok: false; index: number; parent: Shape };

/**
 * Walks `segments` through a shape, as data is read: an object's field (or its other keys' shape), anything under
 * `any`. Lists are read by `lists`: `none` stops at a list (a value compared as one), `index` reads `0`, `1`, … as
 * its items, `index-or-length` also `length` (a template's `{{items.length}}`).
 */
export function shapeAt(start: Shape, segments: readonly string[], lists: 'none' | 'index' | 'index-or-length'): ShapeAt {
  let shape = start;
  for (const [index, segment] of segments.entries()) {
    if (shape.kind === 'any') return { ok: true, shape };
    let next: Shape | undefined;
    if (shape.kind === 'object') next = shape.fields.get(segment) ?? shape.rest;
    else if (shape.kind === 'array' && lists !== 'none') {
      next = /^\d+$/.test(segment) ? shape.items : lists === 'index-or-length' && segment === 'length' ? scalar('number') : undefined;
    }
    if (!next) return { ok: false, index, parent: shape };
    shape = next;
  }
  return { ok: true, shape };
}
