/**
 * Event changes, read from each event's JSON Schema: fields added, removed, retyped, made required or
 * optional. A field becoming required is what breaks senders (their events are refused at the door), so
 * fields are listed with their required-ness, nested objects and array items included (`items[].sku`).
 */
import type { Bundle, EventDef, JsonValue } from '../bundle/schema.ts';
import type { Change, ItemChange, SectionDiff } from './model.ts';
import { change, diffRecords, same, sameExcept } from './records.ts';
import { arrow, code, codeList, plural } from './words.ts';

type Schema = { [key: string]: JsonValue };

export interface EventField {
  type: string;
  required: boolean;
  /** The field's own schema without nested fields: two fields differ in type when these differ. */
  own: JsonValue;
}

const isSchema = (v: JsonValue | undefined): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `string`, `"free" | "pro"`, `integer[]`, `string | null`: enough to see what a sender must now send. */
export function describeType(schema: JsonValue | undefined): string {
  if (!isSchema(schema)) return 'any';
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  if ('const' in schema) return JSON.stringify(schema.const);
  const union = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(union)) return union.map(describeType).join(' | ');
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : typeof schema.type === 'string' ? schema.type : 'any';
  return type === 'array' ? `${describeType(schema.items)}[]` : type;
}

function ownSchema(schema: Schema): JsonValue {
  const { properties: _p, required: _r, items, ...rest } = schema;
  return isSchema(items) ? { ...rest, items: ownSchema(items) } : rest;
}

/** Every field of an event's data by path, depth first. */
export function eventFields(schema: JsonValue): Map<string, EventField> {
  const out = new Map<string, EventField>();
  const walk = (object: Schema, prefix: string) => {
    if (!isSchema(object.properties)) return;
    const required = Array.isArray(object.required) ? object.required : [];
    for (const [name, value] of Object.entries(object.properties)) {
      if (!isSchema(value)) continue;
      const path = prefix ? `${prefix}.${name}` : name;
      out.set(path, { type: describeType(value), required: required.includes(name), own: ownSchema(value) });
      walk(value, path);
      if (isSchema(value.items)) walk(value.items, `${path}[]`);
    }
  };
  if (isSchema(schema)) walk(schema, '');
  return out;
}

/** Fields required after the change that were absent or optional before: what senders now have to send. */
export function newlyRequired(before: EventDef, after: EventDef): { path: string; existed: boolean }[] {
  const a = eventFields(before.schema);
  const b = eventFields(after.schema);
  return [...b].filter(([path, field]) => field.required && !a.get(path)?.required).map(([path]) => ({ path, existed: a.has(path) }));
}

function fieldChanges(before: EventDef, after: EventDef): Change[] {
  const a = eventFields(before.schema);
  const b = eventFields(after.schema);
  const out: Change[] = [];
  const json = (f: EventField) => ({ type: f.type, required: f.required });
  const req = (f: EventField) => (f.required ? 'required' : 'optional');
  for (const [path, field] of b) {
    const old = a.get(path);
    const p = `fields.${path}`;
    if (!old) {
      out.push(change(p, `field ${code(path)} added (${req(field)}, ${code(field.type)})`, undefined, json(field)));
      continue;
    }
    const parts: string[] = [];
    if (!same(old.own, field.own))
      parts.push(old.type === field.type ? `schema of ${code(field.type)} changed` : `type ${arrow(code(old.type), code(field.type))}`);
    if (old.required !== field.required) parts.push(`now ${req(field)}`);
    if (parts.length) out.push(change(p, `field ${code(path)}: ${parts.join(', ')}`, json(old), json(field)));
  }
  for (const [path, field] of a) {
    if (!b.has(path)) out.push(change(`fields.${path}`, `field ${code(path)} removed`, json(field), undefined));
  }
  return out;
}

export function summarizeEvent(e: EventDef): string {
  const fields = [...eventFields(e.schema).keys()].filter((p) => !p.includes('.') && !p.includes('['));
  return `fields ${codeList(fields)}`;
}

function compareEvent(id: string, before: EventDef, after: EventDef): ItemChange {
  const changes: Change[] = [];
  if (before.description !== after.description) {
    const text = (d: string | undefined) => (d === undefined ? 'none' : code(d));
    changes.push(change('description', `description ${arrow(text(before.description), text(after.description))}`, before.description, after.description));
  }
  const fields = fieldChanges(before, after);
  changes.push(...fields);
  // A schema change no field shows (top-level constraints, additionalProperties) is still a change.
  if (!fields.length && !same(before.schema, after.schema)) changes.push(change('schema', 'schema changed', before.schema, after.schema));
  if (!same(before.examples, after.examples)) {
    const counts =
      before.examples.length === after.examples.length ? '' : ` (${arrow(String(before.examples.length), plural(after.examples.length, 'example'))})`;
    changes.push(change('examples', `examples changed${counts}`, before.examples, after.examples));
  }
  return { id, changes };
}

export function diffEvents(base: Bundle, head: Bundle): SectionDiff {
  return diffRecords(base.events, head.events, {
    summarize: summarizeEvent,
    compare: compareEvent,
    isRename: (a, b) => sameExcept(a, b, 'name'),
  });
}
