/**
 * Runs in a child process (`node --import tsx`): imports each notifications file in isolation, so a broken file
 * never hides the others and user code never runs inside the compiler's own process. Replies over IPC.
 */
import { relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { BrandDefinition, BrandValues, Definition, FrequencyLimitSpec, RecipientsSpec, StepSpec } from '../dsl/definitions.ts';
import type {
  EvaluatedDefinition,
  EvaluationError,
  EvaluationResult,
  SerialDefinition,
  SerialLimit,
  SerialRecipients,
  SerialSchema,
  SerialWorkflow,
} from './serial.ts';

const KINDS = new Set(['event', 'template', 'workflow', 'broadcast', 'audience', 'provider', 'channel', 'category', 'settings', 'layout', 'partial', 'brand']);

function isDefinition(value: unknown): value is Definition {
  return typeof value === 'object' && value !== null && KINDS.has((value as { kind?: unknown }).kind as string);
}

const idOf = (v: unknown): string => (typeof v === 'string' ? v : String((v as { id?: string; name?: string }).id ?? (v as { name?: string }).name));

/** A `cancelOn` entry: an event (definition or name), or `{ event, match }` — which has no `kind`. */
function serializeCancelOn(entry: unknown): SerialWorkflow['cancelOn'][number] {
  if (typeof entry !== 'object' || entry === null || 'kind' in entry || !('event' in entry)) return idOf(entry);
  const { event, match } = entry as { event: unknown; match?: Record<string, string> };
  return { event: idOf(event), ...(match === undefined ? {} : { match }) };
}

function serializeSteps(steps: readonly StepSpec[]): StepSpec[] {
  return steps.map((step): StepSpec => {
    switch (step.kind) {
      case 'send':
        return {
          ...step,
          template: idOf(step.template),
          ...(step.providers ? { providers: step.providers.map(idOf) } : {}),
        };
      case 'waitFor':
        return step.event === undefined ? step : { ...step, event: idOf(step.event) };
      case 'fetch':
        // The answer's zod schema crosses as JSON Schema (lower/fetch.ts reads it back as a SerialSchema).
        return { ...step, response: serialSchema(step.response as z.ZodType) as never };
      case 'branch':
        return {
          ...step,
          arms: step.arms.map((arm) => ('otherwise' in arm ? { otherwise: serializeSteps(arm.otherwise) } : { ...arm, then: serializeSteps(arm.then) })),
        };
      default:
        return step;
    }
  });
}

/** `{ audience }` by its id, or `{ list }`; anything else is kept for lowering to judge. */
function serializeRecipients(recipients: RecipientsSpec): SerialRecipients {
  return 'audience' in recipients ? { audience: idOf(recipients.audience) } : recipients;
}

function isBrandDefinition(value: BrandValues | BrandDefinition): value is BrandDefinition {
  return value.kind === 'brand' && typeof value.values === 'object';
}

/** `settings({ layouts })`: channel → layout id. */
function serialLayouts(layouts: unknown): Record<string, string> {
  if (typeof layouts !== 'object' || layouts === null) return layouts as Record<string, string>;
  return Object.fromEntries(Object.entries(layouts).map(([channel, layout]) => [channel, idOf(layout)]));
}

/** A layout that a template or the settings name but no file exports: its content is needed all the same. */
function referencedLayouts(value: Definition): Definition[] {
  const candidates: unknown[] = value.kind === 'template' ? [value.layout] : value.kind === 'settings' ? Object.values(value.layouts ?? {}) : [];
  return candidates.filter((c): c is Definition => isDefinition(c) && c.kind === 'layout');
}

/** A zod schema as JSON Schema, or why it cannot be one. */
function serialSchema(schema: z.ZodType): SerialSchema {
  try {
    // Output mode refuses transforms (the bundle must round-trip as JSON); input mode is what senders send.
    z.toJSONSchema(schema, { io: 'output' });
    return { ok: true, jsonSchema: z.toJSONSchema(schema, { io: 'input' }) as never };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

function serialize(def: Definition): SerialDefinition {
  switch (def.kind) {
    case 'event': {
      const schema = serialSchema(def.schema as z.ZodType);
      const { schema: _zod, ...rest } = def;
      return { ...rest, schema, examples: [...def.examples] as never };
    }
    case 'template': {
      const { layout, ...rest } = def;
      return { ...rest, event: idOf(def.event), ...(layout === undefined ? {} : { layout: layout === false ? false : idOf(layout) }) };
    }
    case 'layout': {
      const { event, ...rest } = def;
      return event === undefined ? rest : { ...rest, event: idOf(event) };
    }
    case 'workflow': {
      const { category: _category, ...rest } = def;
      return {
        ...rest,
        trigger:
          def.trigger.kind === 'schedule'
            ? {
                type: 'schedule',
                cron: def.trigger.cron,
                ...(def.trigger.timezone === undefined ? {} : { timezone: def.trigger.timezone }),
                ...(def.trigger.recipients === undefined ? {} : { recipients: serializeRecipients(def.trigger.recipients) }),
              }
            : { type: 'event', event: idOf(def.trigger) },
        ...(def.category === undefined ? {} : { category: idOf(def.category) }),
        cancelOn: def.cancelOn.map(serializeCancelOn),
        steps: serializeSteps(def.steps),
      };
    }
    case 'broadcast': {
      const { category: _category, ...rest } = def;
      return {
        ...rest,
        recipients: serializeRecipients(def.recipients),
        ...(def.category === undefined ? {} : { category: idOf(def.category) }),
        steps: serializeSteps(def.steps),
      };
    }
    case 'channel':
      return { ...def, providers: def.providers.map(idOf) };
    case 'settings': {
      const { limits, traits: traitsSchema, brand, layouts, ...others } = def;
      const withoutTraits = {
        ...others,
        // A brand() is its values in the bundle; each layout is its id (anything else is left for lowering to judge).
        ...(brand === undefined ? {} : { brand: isBrandDefinition(brand) ? brand.values : brand }),
        ...(layouts === undefined ? {} : { layouts: serialLayouts(layouts) }),
      };
      const rest = traitsSchema === undefined ? withoutTraits : { ...withoutTraits, traits: serialSchema(traitsSchema) };
      // Category definitions become their ids; anything else is left for lowering to judge.
      const serial = (l: FrequencyLimitSpec) => (typeof l === 'object' && l !== null && l.category !== undefined ? { ...l, category: idOf(l.category) } : l);
      return limits === undefined ? rest : { ...rest, limits: (Array.isArray(limits) ? limits.map(serial) : limits) as SerialLimit[] };
    }
    default:
      return def;
  }
}

/** The first stack frame inside `file`, mapped back to the TypeScript source by tsx's source maps. */
function locate(error: unknown, file: string): { line?: number; column?: number } {
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  const url = pathToFileURL(file).href;
  for (const frame of stack.split('\n')) {
    const at = frame.indexOf(url) >= 0 ? frame.indexOf(url) + url.length : frame.indexOf(file) >= 0 ? frame.indexOf(file) + file.length : -1;
    if (at < 0) continue;
    const match = /^(?:\?[^:]*)?:(\d+):(\d+)/.exec(frame.slice(at));
    if (match) return { line: Number(match[1]), column: Number(match[2]) };
  }
  const syntax = /:(\d+):(\d+)/.exec(error instanceof Error ? error.message : '');
  return syntax ? { line: Number(syntax[1]), column: Number(syntax[2]) } : {};
}

async function evaluate(files: string[], cwd: string): Promise<EvaluationResult> {
  const seen = new Set<unknown>();
  const definitions: EvaluatedDefinition[] = [];
  const errors: EvaluationError[] = [];
  for (const file of files) {
    const rel = relative(cwd, file).split('\\').join('/');
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (error) {
      const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
      errors.push({ file: rel, message, ...locate(error, file) });
      continue;
    }
    const exported = Object.entries(mod).filter((entry): entry is [string, Definition] => isDefinition(entry[1]));
    const reached = exported.flatMap(([name, value]) => referencedLayouts(value).map((layout): [string, Definition] => [`${name}.layout`, layout]));
    for (const [exportName, value] of [...exported, ...reached]) {
      if (seen.has(value)) continue;
      seen.add(value);
      try {
        definitions.push({ file: rel, exportName, definition: JSON.parse(JSON.stringify(serialize(value))) });
      } catch (error) {
        errors.push({ file: rel, message: `export "${exportName}" cannot be serialised: ${(error as Error).message}` });
      }
    }
  }
  return { definitions, errors };
}

process.once('message', (message: { files: string[]; cwd: string }) => {
  void evaluate(message.files, message.cwd).then((result) => {
    process.send?.(result, () => process.exit(0));
  });
});
