import type { Bundle, Workflow } from '../bundle/schema.ts';
import type { SourceLocation } from '../diagnostics/diagnostic.ts';
import type { DefinitionOf, LowerContext } from './context.ts';
import { uniqueById } from './catalog.ts';
import { lowerMatch } from './match.ts';
import { lowerRecipients } from './broadcasts.ts';
import { parseCron } from '../bundle/cron.ts';
import { isValidTimeZone } from '../bundle/zone.ts';
import { collectStepIds, lowerStepList, lowerWindow, type WorkflowScope } from './steps.ts';

type Catalog = Pick<Bundle, 'events' | 'templates' | 'providers' | 'channels' | 'categories' | 'settings'>;

/** `clientTriggerable` is a boolean, and only for a workflow an event starts (a schedule has no sender). */
function lowerClientTriggerable(ctx: LowerContext, def: DefinitionOf<'workflow'>, at: () => SourceLocation): boolean {
  const value: unknown = def.clientTriggerable;
  if (value === undefined || value === false) return false;
  if (value !== true) {
    ctx.report(
      'invalid-definition',
      at(),
      `workflow "${def.id}": clientTriggerable must be true or false, not ${JSON.stringify(value)}`,
      'write clientTriggerable: true, or leave it out',
    );
    return false;
  }
  if (def.trigger.type !== 'event') {
    ctx.report(
      'invalid-definition',
      at(),
      `workflow "${def.id}" runs on a schedule, so no client can trigger it`,
      'remove clientTriggerable, or trigger the workflow with an event',
    );
    return false;
  }
  return true;
}

/**
 * A schedule's trigger: the cron as written, and — only when used, so a plain schedule keeps its bytes —
 * `recipients` (an audience or list) and `timezone` (`user` needs recipients; else an IANA zone). A cron read in
 * another zone than UTC is parsed here, so a malformed one is found at build time.
 */
function lowerScheduleTrigger(
  ctx: LowerContext,
  workflowId: string,
  trigger: Extract<DefinitionOf<'workflow'>['trigger'], { type: 'schedule' }>,
  where: (...path: string[]) => SourceLocation,
): Workflow['trigger'] {
  const recipients = trigger.recipients === undefined ? null : lowerRecipients(ctx, trigger.recipients, `workflow "${workflowId}"`, () => where('trigger'));
  const timezone = trigger.timezone;
  if (timezone !== undefined) {
    if (timezone === 'user' && trigger.recipients === undefined)
      ctx.report(
        'invalid-definition',
        where('trigger'),
        `workflow "${workflowId}" reads its cron in each recipient's zone, but names no recipients`,
        "add recipients: { audience: someAudience } or { list: 'list-id' }, or use an IANA zone such as 'Europe/Paris'",
      );
    else if (timezone !== 'user' && !isValidTimeZone(timezone))
      ctx.report(
        'invalid-definition',
        where('trigger'),
        `workflow "${workflowId}": "${timezone}" is not a time zone`,
        "write 'user' or an IANA zone such as 'Europe/Paris'",
      );
    try {
      parseCron(trigger.cron);
    } catch (error) {
      ctx.report(
        'invalid-definition',
        where('trigger'),
        `workflow "${workflowId}": cron ${(error as Error).message}`,
        "write five fields, e.g. '0 9 * * 1' (Mondays at 9:00)",
      );
    }
  }
  return {
    type: 'schedule',
    cron: trigger.cron,
    ...(timezone === undefined ? {} : { timezone }),
    ...(recipients ? { recipients } : {}),
  };
}

export function lowerWorkflows(ctx: LowerContext, catalog: Catalog): Bundle['workflows'] {
  const out: Bundle['workflows'] = {};
  const eventNames = Object.keys(catalog.events);
  const known = (name: string) => catalog.events[name] !== undefined || ctx.all('event').some((e) => e.def.name === name);
  for (const { def, file } of uniqueById(ctx, 'workflow', ctx.all('workflow'), (d) => d.id)) {
    const where = (...path: string[]) => ctx.where('workflow', def.id, file, path);
    if (def.trigger.type === 'event' && !known(def.trigger.event)) {
      ctx.report(
        'unknown-reference',
        where('trigger'),
        `workflow "${def.id}" is triggered by unknown event "${def.trigger.event}"`,
        ctx.suggest(def.trigger.event, eventNames, 'event'),
      );
    }
    const category = def.category === undefined ? null : (catalog.categories[def.category] ?? null);
    if (def.category !== undefined && !category) {
      ctx.report(
        'unknown-reference',
        where('category'),
        `workflow "${def.id}" is in unknown category "${def.category}"`,
        ctx.suggest(def.category, Object.keys(catalog.categories), 'category'),
      );
    }
    const cancelOn: Workflow['cancelOn'] = [];
    for (const entry of def.cancelOn) {
      const name = typeof entry === 'string' ? entry : entry.event;
      if (!known(name))
        ctx.report(
          'unknown-reference',
          where('cancelOn'),
          `workflow "${def.id}" is cancelled by unknown event "${name}"`,
          ctx.suggest(name, eventNames, 'event'),
        );
      const trigger = def.trigger.type === 'event' ? def.trigger.event : null;
      const match =
        typeof entry === 'string'
          ? undefined
          : lowerMatch(ctx, catalog.events, {
              label: `cancelOn "${name}"`,
              workflowId: def.id,
              event: name,
              trigger,
              match: entry.match,
              at: () => where('cancelOn'),
            });
      // The plain name when there is no match: bundles without keys keep their bytes and version.
      cancelOn.push(match ? { event: name, match } : name);
    }
    const scope: WorkflowScope = {
      ctx,
      bundle: catalog,
      workflowId: def.id,
      file,
      event: def.trigger.type === 'event' ? def.trigger.event : null,
      category,
      seenIds: new Set(),
      allIds: collectStepIds(def.steps),
      retentionReported: false,
    };
    const window = lowerWindow(scope, def.window, () => where('window'));
    const clientTriggerable = lowerClientTriggerable(ctx, def, () => where('clientTriggerable'));
    if (def.steps.length === 0) {
      ctx.report('invalid-definition', where('steps'), `workflow "${def.id}" has no steps`, 'return at least one step from steps: (s) => [ … ]');
    }
    const { steps } = lowerStepList(scope, def.steps, { sends: new Set(), elapsedMs: 0 });
    out[def.id] = {
      id: def.id,
      ...(def.description === undefined ? {} : { description: def.description }),
      trigger: def.trigger.type === 'event' ? { type: 'event', event: def.trigger.event } : lowerScheduleTrigger(ctx, def.id, def.trigger, where),
      ...(def.category === undefined ? {} : { category: def.category }),
      cancelOn,
      ...(window ? { window } : {}),
      // Written only when true: bundles of workflows that do not use it keep their bytes and version.
      ...(clientTriggerable ? { clientTriggerable: true } : {}),
      steps,
    };
  }
  return out;
}
