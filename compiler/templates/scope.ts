/**
 * What a template may read: the event's data at the top level, the recipient under `user`, and the
 * built-ins the runtime adds. The renderer builds its context in the same order (data, then `user`, then
 * built-ins), so a built-in name shadows an event field of the same name in both places.
 */
import { ANY, objectOf, scalar, shapeFromJsonSchema, type Shape } from './shape.ts';

export interface VariableScope {
  /** The event whose data the template renders, for messages; undefined when unknown. */
  event: string | undefined;
  /** The top-level context: event fields, `user`, built-ins. */
  root: Extract<Shape, { kind: 'object' }>;
  /** The event's own top-level field names, to tell them apart from built-ins in hints. */
  eventFields: readonly string[];
}

/** The recipient profile as templates see it; `traits` holds anything the app stored. */
export const USER_SHAPE: Shape = objectOf({
  id: scalar('string'),
  email: scalar('string'),
  phone_number: scalar('string'),
  locale: scalar('string'),
  timezone: scalar('string'),
  traits: objectOf({}, ANY),
});

/** Names the runtime adds beside the event's data (see runtime/render). */
export const BUILTIN_NAMES = ['user', 'preferences_url', 'unsubscribe_url', 'message_id', 'run_id', 'digest'] as const;

function builtins(eventData: Shape): Record<(typeof BUILTIN_NAMES)[number], Shape> {
  return {
    user: USER_SHAPE,
    preferences_url: scalar('string'),
    unsubscribe_url: scalar('string'),
    message_id: scalar('string'),
    run_id: scalar('string'),
    // A digest collects the data of every event that arrived before it closed: `count` of them, `items` (at most
    // the step's maxItems, the oldest), and `omitted`, how many `items` left out.
    digest: objectOf({ count: scalar('number'), items: { kind: 'array', items: eventData }, omitted: scalar('number') }),
  };
}

/**
 * `brand` as templates see it: exactly the declared keys (a tenant's brand may only override them), each a
 * string or an object of the declared names (`brand.colors.primary`).
 */
export function brandShape(brand: Readonly<Record<string, string | Readonly<Record<string, string>>>>): Shape {
  const fields: Record<string, Shape> = Object.create(null);
  for (const [key, value] of Object.entries(brand)) {
    fields[key] = typeof value === 'string' ? scalar('string') : objectOf(Object.fromEntries(Object.keys(value).map((k) => [k, scalar('string')])));
  }
  return objectOf(fields);
}

/**
 * The scope for templates of an event, from the event's JSON Schema (as stored in the bundle). `brand` (the
 * settings' declared brand) adds `{{brand.…}}`; without one, `brand` is not a built-in, so an event field of
 * that name keeps working as before.
 *
 * @example
 * const scope = scopeForEvent(z.toJSONSchema(z.object({ first_name: z.string() })), 'trial_started');
 * checkTemplateString('Hi {{first_name}}', scope); // []
 */
export function scopeForEvent(
  eventJsonSchema: Record<string, unknown>,
  eventName?: string,
  brand?: Readonly<Record<string, string | Readonly<Record<string, string>>>>,
): VariableScope {
  const data = shapeFromJsonSchema(eventJsonSchema as Parameters<typeof shapeFromJsonSchema>[0]);
  const fields = new Map<string, Shape>();
  let rest: Shape | undefined;
  if (data.kind === 'object') {
    for (const [key, shape] of data.fields) fields.set(key, shape);
    rest = data.rest;
  } else if (data.kind === 'any') {
    rest = ANY;
  }
  const eventFields = [...fields.keys()];
  for (const [key, shape] of Object.entries(builtins(data))) fields.set(key, shape);
  // `{{fetched.<step>.…}}`: a fetch step's answer. Open here, since only a send's place in its workflow says which
  // fetches ran before it (lower/steps.ts checks it there). An event's own `fetched` field keeps its name.
  if (!eventFields.includes('fetched')) fields.set('fetched', objectOf({}, ANY));
  if (brand) fields.set('brand', brandShape(brand));
  return { event: eventName, root: { kind: 'object', fields, ...(rest ? { rest } : {}) }, eventFields };
}
