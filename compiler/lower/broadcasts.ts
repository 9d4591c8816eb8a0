/**
 * Lowers broadcasts: recipients (a known audience, or a list id), category, rate, window, and steps lowered by
 * the workflow step lowering itself (`steps.ts`), as the workflow `broadcast:<id>` their runs execute. A broadcast
 * has no trigger data, so its templates may not read any (`template-reads-data`).
 */
import { BROADCAST_WORKFLOW_PREFIX, broadcastWorkflowId } from '../bundle/broadcasts.ts';
import type { Broadcast, Bundle, Recipients, Step } from '../bundle/schema.ts';
import { CHANNELS } from '../bundle/schema.ts';
import type { SendSpec, StepSpec } from '../dsl/definitions.ts';
import { positionInLiteral } from '../load/source.ts';
import type { SerialRecipients } from '../load/serial.ts';
import { parseRate } from '../schedule/rate.ts';
import { BUILTIN_NAMES, scopeForEvent } from '../templates/scope.ts';
import { templateFields, templateVariables } from '../templates/check.ts';
import type { LowerContext } from './context.ts';
import { uniqueById } from './catalog.ts';
import { collectStepIds, lowerStepList, lowerWindow, type WorkflowScope } from './steps.ts';

type Catalog = Pick<Bundle, 'events' | 'templates' | 'providers' | 'channels' | 'categories' | 'settings'>;

/** The bundle's `broadcasts`, or undefined when none is defined (the bundle then has no such key). */
export function lowerBroadcasts(ctx: LowerContext, catalog: Catalog): Bundle['broadcasts'] {
  const defs = uniqueById(ctx, 'broadcast', ctx.all('broadcast'), (d) => d.id);
  for (const { def, file } of ctx.all('workflow')) {
    if (def.id.startsWith(BROADCAST_WORKFLOW_PREFIX))
      ctx.report(
        'invalid-definition',
        ctx.where('workflow', def.id, file),
        `workflow id "${def.id}" starts with "${BROADCAST_WORKFLOW_PREFIX}", which names the runs of broadcasts`,
        'rename the workflow',
      );
  }
  if (defs.length === 0) return undefined;
  const out: NonNullable<Bundle['broadcasts']> = {};
  for (const { def, file } of defs) {
    const where = (...path: string[]) => ctx.where('broadcast', def.id, file, path);
    const recipients = lowerRecipients(ctx, def.recipients, `broadcast "${def.id}"`, (field) => where(field));
    const category = def.category === undefined ? null : (catalog.categories[def.category] ?? null);
    if (def.category !== undefined && !category) {
      ctx.report(
        'unknown-reference',
        where('category'),
        `broadcast "${def.id}" is in unknown category "${def.category}"`,
        ctx.suggest(def.category, Object.keys(catalog.categories), 'category'),
      );
    }
    let rate: Broadcast['rate'];
    if (def.rate !== undefined) {
      const parsed = parseRate(def.rate);
      if (parsed.ok) rate = parsed.rate;
      else ctx.report('invalid-definition', where('rate'), `broadcast "${def.id}": ${parsed.message}`, "write e.g. rate: '500/min', '20/s' or '1000/h'");
    }
    const workflowId = broadcastWorkflowId(def.id);
    const specs = def.steps.map((spec) => withTemplateChannels(spec, catalog));
    const scope: WorkflowScope = {
      ctx,
      bundle: catalog,
      workflowId,
      file,
      event: null,
      category,
      seenIds: new Set(),
      allIds: collectStepIds(specs),
      retentionReported: false,
    };
    const window = lowerWindow(scope, def.window, () => where('window'));
    if (specs.length === 0)
      ctx.report('invalid-definition', where('steps'), `broadcast "${def.id}" has no steps`, 'give it a template, or steps: (s) => [ … ]');
    const { steps } = lowerStepList(scope, specs, { sends: new Set(), elapsedMs: 0 });
    checkNoTriggerData(ctx, catalog, def.id, file, steps);
    if (!recipients) continue;
    out[def.id] = {
      id: def.id,
      ...(def.description === undefined ? {} : { description: def.description }),
      recipients,
      ...(def.category === undefined ? {} : { category: def.category }),
      ...(rate ? { rate } : {}),
      ...(window ? { window } : {}),
      steps,
    };
  }
  return out;
}

/** `{ audience }` of a defined audience, or `{ list }` of a non-empty id; null (reported) otherwise. */
export function lowerRecipients(
  ctx: LowerContext,
  recipients: SerialRecipients | undefined,
  owner: string,
  at: (field: 'audience' | 'list') => ReturnType<LowerContext['where']>,
): Recipients | null {
  if (recipients && 'audience' in recipients && typeof recipients.audience === 'string') {
    const audiences = ctx.evaluated.filter((e) => (e.definition.kind as string) === 'audience').map((e) => (e.definition as unknown as { id: string }).id);
    if (audiences.includes(recipients.audience)) return { audience: recipients.audience };
    ctx.report(
      'unknown-reference',
      at('audience'),
      `${owner} sends to unknown audience "${recipients.audience}"`,
      ctx.suggest(recipients.audience, audiences, 'audience'),
    );
    return null;
  }
  if (recipients && 'list' in recipients && typeof recipients.list === 'string' && recipients.list.trim() !== '') return { list: recipients.list };
  ctx.report(
    'invalid-definition',
    at('list'),
    `${owner} names no recipients`,
    "add audience: someAudience (an audience() definition) or list: 'list-id' (lists are managed by the API)",
  );
  return null;
}

/**
 * A send of a broadcast with neither channel nor routing (the `template` shortcut) goes out on one of its
 * template's channels, the user's preferred first: a broadcast is usually one message in whatever way reaches
 * each person.
 */
function withTemplateChannels(spec: StepSpec, catalog: Catalog): StepSpec {
  if (spec.kind !== 'send' || spec.channel !== undefined || spec.routing !== undefined) return spec;
  const template = Object.hasOwn(catalog.templates, String(spec.template)) ? catalog.templates[String(spec.template)] : undefined;
  const channels = CHANNELS.filter((c) => template?.content[c] !== undefined);
  if (channels.length === 0) return spec;
  const routing: NonNullable<SendSpec['routing']> = { method: 'single', channels, strategy: 'user-preference' };
  return { ...spec, routing };
}

/** Every template a list of steps sends, with the send's id. */
function sendsOf(steps: readonly Step[], into: { stepId: string; template: string; channels: readonly string[] }[] = []) {
  for (const step of steps) {
    if (step.kind === 'send') into.push({ stepId: step.id, template: step.template, channels: step.routing.channels });
    if (step.kind === 'branch') {
      for (const arm of step.arms) sendsOf(arm.steps, into);
      sendsOf(step.otherwise, into);
    }
  }
  return into;
}

/** A broadcast's templates may read the recipient and the built-ins, never fields of their event's data. */
function checkNoTriggerData(ctx: LowerContext, catalog: Catalog, broadcastId: string, file: string, steps: readonly Step[]) {
  const builtins = new Set<string>([...BUILTIN_NAMES, 'brand']);
  const reported = new Set<string>();
  for (const { stepId, template: templateId, channels } of sendsOf(steps)) {
    const template = Object.hasOwn(catalog.templates, templateId) ? catalog.templates[templateId] : undefined;
    const event = template && Object.hasOwn(catalog.events, template.event) ? catalog.events[template.event] : undefined;
    if (!template || !event || reported.has(templateId)) continue;
    const scope = scopeForEvent(event.schema, template.event, catalog.settings.brand);
    const dataFields = new Set(scope.eventFields.filter((f) => !builtins.has(f)));
    const variants: [string | undefined, typeof template.content][] = [[undefined, template.content], ...Object.entries(template.locales)];
    for (const [locale, content] of variants) {
      for (const { channel, field, source } of templateFields(content as typeof template.content)) {
        // Only what the send renders: the channels it may use.
        const use = channels.includes(channel) ? templateVariables(source, scope).find((u) => dataFields.has(u.variable.split('.')[0]!)) : undefined;
        if (!use || reported.has(templateId)) continue;
        reported.add(templateId);
        const call = ctx.locator.definition('template', templateId);
        const path = [...(locale === undefined ? [] : ['locales', locale]), channel, ...field.split('.')];
        const node = call ? ctx.locator.field(call, path) : undefined;
        const templateAt = node ? positionInLiteral(node, use.line, use.column, ctx.locator.cwd) : null;
        ctx.report(
          'template-reads-data',
          ctx.whereStep(broadcastWorkflowId(broadcastId), stepId, file, ['template']),
          `broadcast "${broadcastId}" sends template "${templateId}", whose ${channel}.${field}${locale === undefined ? '' : ` (${locale})`} reads {{${use.variable}}}, a field of event "${template.event}"${templateAt ? ` (${templateAt.file}:${templateAt.line})` : ''}: a broadcast has no trigger data`,
          'a broadcast template reads the recipient ({{user.email}}, {{user.traits.first_name}}) and the built-ins ({{unsubscribe_url}}, {{preferences_url}}); write one without event fields',
        );
      }
    }
  }
}
