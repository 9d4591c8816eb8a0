/**
 * Template changes: which event it renders, and the text of every channel field, by default and per locale,
 * as unified diffs a reviewer can read like a code change.
 */
import { CHANNELS, type Bundle, type Channel, type ChannelContent, type Step, type Template } from '../bundle/schema.ts';
import type { Change, ItemChange, SectionDiff } from './model.ts';
import { change, diffRecords, sameExcept } from './records.ts';
import { unifiedDiff } from './text.ts';
import { arrow, byId, code } from './words.ts';

/** The text fields of each channel, in the order a message reads. */
const FIELDS: { [C in Channel]: string[] } = {
  email: ['subject', 'text', 'html'],
  sms: ['body'],
  push: ['title', 'body', 'data'],
  inapp: ['title', 'body', 'actionUrl'],
  webhook: ['body'],
};

/** A field as text; push `data` (a string map) becomes `key: value` lines, so one key's change is one line. */
function fieldText(content: Partial<ChannelContent> | undefined, channel: Channel, field: string): string | undefined {
  const value = (content?.[channel] as Record<string, unknown> | undefined)?.[field];
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  // A webhook body is JSON: indented, so that one value's change is one line of the diff.
  if (channel === 'webhook') return JSON.stringify(value, null, 2);
  return Object.entries(value as Record<string, string>)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
}

function contentChanges(before: Partial<ChannelContent> | undefined, after: Partial<ChannelContent> | undefined, path: string, locale?: string): Change[] {
  const out: Change[] = [];
  for (const channel of CHANNELS) {
    for (const field of FIELDS[channel]) {
      const a = fieldText(before, channel, field);
      const b = fieldText(after, channel, field);
      if (a === b) continue;
      const what = a === undefined ? 'added' : b === undefined ? 'removed' : 'changed';
      const where = locale === undefined ? '' : ` (locale ${code(locale)})`;
      out.push({ ...change(`${path}.${channel}.${field}`, `${code(`${channel}.${field}`)} ${what}${where}`, a, b), textDiff: unifiedDiff(a, b) });
    }
  }
  return out;
}

function channelsOf(t: Template): Channel[] {
  return CHANNELS.filter((c) => t.content[c] !== undefined);
}

export function summarizeTemplate(t: Template): string {
  const locales = Object.keys(t.locales).sort();
  return `renders ${code(t.event)} · ${channelsOf(t).join(', ')}${locales.length ? ` · locales ${locales.join(', ')}` : ''}`;
}

function compareTemplate(id: string, before: Template, after: Template, usage: Map<string, Map<string, string[]>>): ItemChange {
  const changes: Change[] = [];
  if (before.event !== after.event) {
    changes.push(change('event', `renders event ${arrow(code(before.event), code(after.event))}`, before.event, after.event));
  }
  changes.push(...contentChanges(before.content, after.content, 'content'));
  for (const locale of [...new Set([...Object.keys(before.locales), ...Object.keys(after.locales)])].sort()) {
    changes.push(...contentChanges(before.locales[locale], after.locales[locale], `locales.${locale}`, locale));
  }
  const users = usage.get(id);
  if (!users) return { id, changes };
  const byWorkflow = [...users].map(([workflow, steps]) => `${code(workflow)} › ${steps.map(code).join(', ')}`);
  return { id, changes, note: `Sent by ${byWorkflow.join('; ')}.` };
}

/** Template id → workflow id → the steps that send it, so a copy change shows its reach. */
function templateUsage(bundle: Bundle): Map<string, Map<string, string[]>> {
  const usage = new Map<string, Map<string, string[]>>();
  const walk = (workflow: string, steps: readonly Step[]) => {
    for (const step of steps) {
      if (step.kind === 'send') {
        const workflows = usage.get(step.template) ?? new Map<string, string[]>();
        workflows.set(workflow, [...(workflows.get(workflow) ?? []), step.id]);
        usage.set(step.template, workflows);
      }
      if (step.kind === 'branch') {
        for (const arm of step.arms) walk(workflow, arm.steps);
        walk(workflow, step.otherwise);
      }
    }
  };
  for (const id of Object.keys(bundle.workflows).sort(byId)) walk(id, bundle.workflows[id]!.steps);
  return usage;
}

export function diffTemplates(base: Bundle, head: Bundle): SectionDiff {
  const usage = templateUsage(head);
  return diffRecords(base.templates, head.templates, {
    summarize: summarizeTemplate,
    compare: (id, a, b) => compareTemplate(id, a, b, usage),
    isRename: (a, b) => sameExcept(a, b, 'id'),
  });
}
