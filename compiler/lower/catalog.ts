/**
 * Lowers the catalogue definitions — settings, events, providers, channels, categories — and reports
 * duplicates and dangling references among them.
 */
import { z } from 'zod';
import type { Bundle, JsonValue } from '../bundle/schema.ts';
import { CHANNELS } from '../bundle/schema.ts';
import type { LowerContext, Located } from './context.ts';
import { formatDuration } from '../dsl/duration.ts';
import { durationMs } from './durations.ts';
import { checkProviderEndpoint } from './endpoints.ts';
import { lowerBrand } from './brand.ts';

const DEFAULT_RETENTION = '30d';

/** Keeps the first definition of each id; reports every other definition call of that id, once per id. */
export function uniqueById<D>(ctx: LowerContext, kind: string, items: Located<D>[], idOf: (d: D) => string): Located<D>[] {
  const seen = new Map<string, Located<D>>();
  const reported = new Set<string>();
  for (const item of items) {
    const id = idOf(item.def);
    const first = seen.get(id);
    if (!first) {
      seen.set(id, item);
      continue;
    }
    if (reported.has(id)) continue;
    reported.add(id);
    const [firstCall, ...others] = ctx.locator.definitions(kind, id);
    const firstAt = ctx.nodeAt(firstCall, first.file);
    for (const call of others.length ? others : [undefined]) {
      ctx.report(
        'duplicate-id',
        ctx.nodeAt(call, item.file),
        `${kind} "${id}" is defined more than once (first at ${firstAt.file}:${firstAt.line})`,
        `rename one of them; ${kind} ids must be unique across the notifications folder`,
      );
    }
  }
  return [...seen.values()];
}

export function lowerSettings(ctx: LowerContext): Bundle['settings'] {
  const all = ctx.all('settings');
  for (const extra of all.slice(1)) {
    ctx.report('duplicate-id', ctx.where('settings', '', extra.file), 'settings() is defined more than once', 'keep one settings() in notifications/');
  }
  const first = all[0];
  const retention = first?.def.retention ?? DEFAULT_RETENTION;
  const retentionMs = durationMs(ctx, retention, () => ctx.where('settings', '', first?.file ?? '', ['retention']));
  const addressGrace = lowerAddressGrace(ctx, first, retentionMs);
  const brand = lowerBrand(ctx, first);
  return { retentionMs, ...(addressGrace === undefined ? {} : { addressGrace }), ...(brand === undefined ? {} : { brand }) };
}

/**
 * `settings({ addressGrace })` in ms, or undefined when not written (the bundle then has no such key and the
 * engine's default applies) or not valid (reported).
 */
function lowerAddressGrace(ctx: LowerContext, settings: Located<{ addressGrace?: unknown }> | undefined, retentionMs: number): number | undefined {
  if (settings?.def.addressGrace === undefined) return undefined;
  const at = () => ctx.where('settings', '', settings.file, ['addressGrace']);
  const reported = ctx.diagnostics.length;
  const graceMs = durationMs(ctx, settings.def.addressGrace, at);
  if (ctx.diagnostics.length > reported) return undefined;
  if (graceMs > retentionMs) {
    ctx.report(
      'exceeds-retention',
      at(),
      `settings addressGrace holds sends for ${formatDuration(graceMs)}, longer than the retention of ${formatDuration(retentionMs)}`,
      "a grace is for an identify that arrives just after its track: a few seconds (default '10s')",
    );
    return undefined;
  }
  return graceMs;
}

export function lowerEvents(ctx: LowerContext): Bundle['events'] {
  const out: Bundle['events'] = {};
  for (const { def, file } of uniqueById(ctx, 'event', ctx.all('event'), (d) => d.name)) {
    if (!def.schema.ok) {
      ctx.report(
        'invalid-schema',
        ctx.where('event', def.name, file, ['schema']),
        `the schema of event "${def.name}" cannot be put in the bundle: ${def.schema.error}`,
        'event schemas must round-trip as JSON Schema: remove transforms, refinements with code, and custom types',
      );
      continue;
    }
    const jsonSchema = def.schema.jsonSchema;
    checkExamples(ctx, def.name, file, jsonSchema, def.examples);
    out[def.name] = {
      name: def.name,
      ...(def.description === undefined ? {} : { description: def.description }),
      schema: jsonSchema,
      examples: def.examples,
    };
  }
  return out;
}

function checkExamples(ctx: LowerContext, name: string, file: string, schema: Record<string, JsonValue>, examples: JsonValue[]) {
  let validator: z.ZodType;
  try {
    validator = z.fromJSONSchema(schema as never);
  } catch {
    return;
  }
  examples.forEach((example, index) => {
    const result = validator.safeParse(example);
    if (result.success) return;
    const issue = result.error.issues[0]!;
    ctx.report(
      'invalid-definition',
      ctx.where('event', name, file, ['examples']),
      `example ${index + 1} of event "${name}" does not match its schema: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
      'fix the example so that it is a valid event; examples feed previews and scenario tests',
    );
  });
}

export function lowerProviders(ctx: LowerContext): Bundle['providers'] {
  const out: Bundle['providers'] = {};
  for (const { def, file } of uniqueById(ctx, 'provider', ctx.all('provider'), (d) => d.id)) {
    checkProviderEndpoint(ctx, def, file);
    const credentials: Bundle['providers'][string]['credentials'] = {};
    for (const [slot, ref] of Object.entries(def.credentials)) credentials[slot] = { env: ref.name };
    out[def.id] = {
      id: def.id,
      channel: def.channel,
      kind: def.provider,
      credentials,
      ...(def.from === undefined ? {} : { from: def.from }),
      options: { ...def.options },
    };
  }
  return out;
}

/** Channel routes as declared, and for channels without a `channel()` the providers serving them, in order. */
export function lowerChannels(ctx: LowerContext, providers: Bundle['providers']): Bundle['channels'] {
  const out: Bundle['channels'] = {};
  for (const { def, file } of uniqueById(ctx, 'channel', ctx.all('channel'), (d) => d.channel)) {
    def.providers.forEach((id, index) => {
      const provider = providers[id];
      const at = () => ctx.where('channel', def.channel, file, ['providers']);
      if (!provider) {
        ctx.report(
          'unknown-reference',
          at(),
          `channel "${def.channel}" routes to unknown provider "${id}" (position ${index + 1})`,
          ctx.suggest(id, Object.keys(providers), 'provider'),
        );
      } else if (provider.channel !== def.channel) {
        ctx.report(
          'unknown-reference',
          at(),
          `provider "${id}" serves ${provider.channel}, not ${def.channel}`,
          `list it under channel('${provider.channel}', …)`,
        );
      }
    });
    out[def.channel] = { channel: def.channel, providers: [...def.providers] };
  }
  for (const channel of CHANNELS) {
    if (out[channel]) continue;
    const serving = Object.values(providers)
      .filter((p) => p.channel === channel)
      .map((p) => p.id);
    if (serving.length) out[channel] = { channel, providers: serving };
  }
  return out;
}

export function lowerCategories(ctx: LowerContext): Bundle['categories'] {
  const out: Bundle['categories'] = {};
  for (const { def } of uniqueById(ctx, 'category', ctx.all('category'), (d) => d.id)) {
    out[def.id] = {
      id: def.id,
      description: def.description,
      defaultChannels: [...def.defaultChannels],
      required: def.required,
      // Written only when true: bundles without marketing categories keep their bytes and version.
      ...(def.marketing === true ? { marketing: true as const } : {}),
    };
  }
  return out;
}
