/**
 * What a simulation starts from: the recipient, the trigger's data, their preferences and the virtual start
 * instant — checked with zod the way the runtime's API checks them, so a scenario cannot describe a user or
 * an event the runtime would refuse (a typo such as `phone:` fails here rather than silently meaning "no
 * phone number").
 */
import { z } from 'zod';
import { brandSchema, channelSchema, type Bundle, type JsonValue } from '../bundle/schema.ts';
import { isValidTimeZone } from '../bundle/window.ts';
import { eventValidator } from '../bundle/validators.ts';
import type { TenantSnapshot, UserSnapshot } from '../../runtime/engine/index.ts';
import { declaredBrandKeys, undeclaredBrandKeys } from '../../runtime/render/index.ts';

/** The profile fields of `PUT /v1/users/:id`, plus the id and the SMS opt-out (STOP) flag. */
export const simUserSchema = z
  .object({
    id: z.string().min(1),
    email: z.string().nullable(),
    phone_number: z.string().nullable(),
    push_tokens: z.array(z.string().min(1)),
    locale: z.string().nullable(),
    timezone: z.string().refine(isValidTimeZone, 'an IANA time zone such as "Europe/Paris"').nullable(),
    traits: z.record(z.string(), z.json()),
    smsOptOut: z.boolean(),
  })
  .partial()
  .strict();
export type SimUser = z.input<typeof simUserSchema>;

/** `category` → `channel` → opted in?, as `PUT /v1/users/:id/preferences` takes it. */
export const simPreferencesSchema = z.record(z.string(), z.partialRecord(channelSchema, z.boolean()));
export type SimPreferences = z.input<typeof simPreferencesSchema>;

/**
 * The tenant the simulation's runs send for, as `PUT /v1/tenants/:id` stores it (runtime/tenants): its brand values
 * over the bundle's default brand, its default preferences between the user's choice and the category default.
 */
export const simTenantSchema = z
  .object({
    id: z.string().min(1).max(255),
    name: z.string().max(500).nullable().optional(),
    brand: brandSchema.optional(),
    defaultPreferences: z.object({ categories: simPreferencesSchema }).strict().optional(),
  })
  .strict();
export type SimTenant = z.input<typeof simTenantSchema>;

/** A fixed default start, a Monday at noon UTC: runs are reproducible and default send windows are open. */
export const DEFAULT_START = Date.UTC(2025, 0, 6, 12, 0, 0);

export const simulateOptionsSchema = z
  .object({
    user: simUserSchema.optional(),
    /** The trigger's data (the event's properties). */
    data: z.record(z.string(), z.json()),
    preferences: simPreferencesSchema.optional(),
    /** The tenant every run of the simulation sends for (a trigger's `tenant` on the runtime). */
    tenant: simTenantSchema.optional(),
    /** The virtual instant of the trigger: epoch ms, an ISO date or a Date (default: DEFAULT_START). */
    now: z.union([z.number().int(), z.iso.datetime({ offset: true }), z.date()]).optional(),
    /** Provider ids or channel names whose every attempt fails (failover and fallbacks then show); a fetch step id: its every request answers 503. */
    fail: z.array(z.string().min(1)).optional(),
    /**
     * Fetch step id → the JSON its request answers (200), e.g. `fetched: { cart: { status: 'open' } }`; checked against the
     * step's response schema by the engine, as the runtime checks a real answer. A fetch with none fails at once (`no_response`).
     */
    fetched: z.record(z.string(), z.json()).optional(),
  })
  .strict();
export type SimulateOptions = z.input<typeof simulateOptionsSchema>;

export interface Start {
  user: UserSnapshot;
  data: Record<string, JsonValue>;
  startAt: number;
  failing: Set<string>;
  tenant: TenantSnapshot | null;
  /** Fetch step id → its answer (null prototype: ids come from the scenario). */
  fetched: Record<string, JsonValue>;
}

export class SimulationSetupError extends Error {
  override name = 'SimulationSetupError';
}

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Validates the options against the bundle: known workflow, data valid for its trigger, known categories. */
export function resolveStart(bundle: Bundle, workflowId: string, options: SimulateOptions): Start {
  const workflow = bundle.workflows[workflowId];
  if (!workflow) {
    throw new SimulationSetupError(`no workflow "${workflowId}" in the bundle; it has: ${Object.keys(bundle.workflows).join(', ')}`);
  }
  const parsed = simulateOptionsSchema.safeParse(options);
  if (!parsed.success) throw new SimulationSetupError(`simulate(…, "${workflowId}", options): ${issues(parsed.error)}`);
  const { user = {}, data, preferences = {}, tenant, now, fail = [], fetched = {} } = parsed.data;
  if (workflow.trigger.type === 'event') checkData(bundle, workflow.trigger.event, data);
  checkCategories(bundle, 'preferences', preferences);
  const startAt = now === undefined ? DEFAULT_START : now instanceof Date ? now.getTime() : typeof now === 'string' ? Date.parse(now) : now;
  return {
    user: { id: 'user-1', traits: {}, lastActiveAt: null, ...structuredClone(user), preferences: structuredClone(preferences) },
    data: structuredClone(data),
    startAt,
    failing: new Set(fail),
    tenant: tenant ? tenantOf(bundle, tenant) : null,
    fetched: Object.assign(Object.create(null), structuredClone(fetched)),
  };
}

/** Choices (or a tenant's defaults) the runtime's API would refuse: unknown categories, a required one turned off. */
function checkCategories(bundle: Bundle, where: string, preferences: z.output<typeof simPreferencesSchema>): void {
  for (const [categoryId, channels] of Object.entries(preferences)) {
    const category = Object.hasOwn(bundle.categories, categoryId) ? bundle.categories[categoryId] : undefined;
    if (!category) throw new SimulationSetupError(`${where}: unknown category "${categoryId}" (known: ${Object.keys(bundle.categories).join(', ')})`);
    // The runtime's preference API refuses this too: a required category cannot be turned off.
    if (category.required && Object.values(channels).includes(false)) {
      throw new SimulationSetupError(`${where}: category "${categoryId}" is required and cannot be opted out of`);
    }
  }
}

/** The tenant as a run of the runtime reads it, refused where `PUT /v1/tenants/:id` would refuse it (422). */
function tenantOf(bundle: Bundle, tenant: z.output<typeof simTenantSchema>): TenantSnapshot {
  const brand = tenant.brand ?? {};
  const unknown = undeclaredBrandKeys(bundle.settings.brand, brand);
  if (unknown.length) {
    const declared = declaredBrandKeys(bundle.settings.brand);
    throw new SimulationSetupError(
      `tenant.brand: key "${unknown[0]}" is not declared by settings({ brand }) (declared: ${declared.length ? declared.join(', ') : 'none'})`,
    );
  }
  const categories = tenant.defaultPreferences?.categories ?? {};
  checkCategories(bundle, 'tenant.defaultPreferences', categories);
  // Null prototypes, as the runtime's snapshot builds them: category ids come from the scenario.
  const preferences: TenantSnapshot['preferences'] = Object.create(null);
  for (const [category, channels] of Object.entries(structuredClone(categories))) preferences[category] = Object.assign(Object.create(null), channels);
  return { id: tenant.id, brand: structuredClone(brand), preferences };
}

/** The runtime validates event data at its door (400); the simulator refuses the same data. */
export function checkData(bundle: Bundle, event: string, data: Record<string, JsonValue>): void {
  const validator = eventValidator(bundle, event);
  if (!validator) return;
  const result = validator.safeParse(data);
  if (!result.success) throw new SimulationSetupError(`data of event "${event}": ${issues(result.error)}`);
}
