/**
 * The diff as Markdown for a pull-request comment: flags first (what needs a decision), then each section's
 * additions, removals, renames and changes, template text as ```diff blocks, and a Mermaid diagram of each
 * changed workflow with its added and changed steps coloured. Output is deterministic (everything sorted
 * upstream), so it can be compared byte for byte in tests and a re-run updates a comment only on change.
 */
import type { Bundle } from '../bundle/schema.ts';
import { workflowMermaid, type StepMark } from '../graph/mermaid.ts';
import {
  hasChanges,
  SECTIONS,
  type BundleDiff,
  type Change,
  type Flag,
  type ItemChange,
  type SectionDiff,
  type SectionName,
  type WorkflowChange,
} from './model.ts';
import { code, plural } from './words.ts';

/** The first line of every comment: the CI step finds its previous comment by it and updates it in place. */
export const COMMENT_MARKER = '<!-- herald-diff -->';

const TITLES: Record<SectionName, string> = {
  workflows: 'Workflows',
  templates: 'Templates',
  events: 'Events',
  routing: 'Routing',
  providers: 'Providers',
  categories: 'Categories',
  audiences: 'Audiences',
  broadcasts: 'Broadcasts',
  settings: 'Settings',
};

const BADGE: Record<Flag['kind'], string> = {
  breaking: '⚠️ **breaking**',
  resubscribe: '🔔 **re-subscribes users**',
  security: '🔒 **security-relevant**',
  compliance: '⚖️ **compliance**',
};

/** The smallest fence that the content cannot close. */
function fence(content: string): string {
  const longest = Math.max(0, ...(content.match(/`{3,}/g) ?? []).map((run) => run.length));
  return '`'.repeat(Math.max(3, longest + 1));
}

function block(language: string, content: string, indent = ''): string[] {
  const f = fence(content);
  return [`${indent}${f}${language}`, ...content.split('\n').map((line) => `${indent}${line}`), `${indent}${f}`];
}

class Flags {
  private readonly list: Flag[];

  constructor(list: Flag[]) {
    this.list = list;
  }

  /** Badges of the flags about one change, or about a whole item when `path` is undefined. */
  badge(section: SectionName, id: string, path?: string): string {
    const kinds = new Set(this.list.filter((f) => f.section === section && f.id === id && f.path === path).map((f) => f.kind));
    return [...kinds].map((k) => ` — ${BADGE[k]}`).join('');
  }
}

function summaryTable(diff: BundleDiff): string[] {
  // Renames are rare: their column shows only when there is one.
  const renames = SECTIONS.some((s) => diff[s].renamed.length > 0);
  const row = (title: string, counts: number[]) => `| ${title} | ${counts.join(' | ')} |`;
  const rows = SECTIONS.filter((s) => diff[s].added.length + diff[s].removed.length + diff[s].renamed.length + diff[s].changed.length > 0).map((s) =>
    row(TITLES[s], [diff[s].added.length, diff[s].removed.length, ...(renames ? [diff[s].renamed.length] : []), diff[s].changed.length]),
  );
  if (diff.settings.length) rows.push(row(TITLES.settings, [0, 0, ...(renames ? [0] : []), diff.settings.length]));
  const header = ['Added', 'Removed', ...(renames ? ['Renamed'] : []), 'Changed'];
  return [`| | ${header.join(' | ')} |`, `| --- |${header.map(() => ' ---: |').join('')}`, ...rows];
}

function alert(type: 'CAUTION' | 'IMPORTANT' | 'WARNING', heading: string, flags: Flag[]): string[] {
  if (!flags.length) return [];
  return [`> [!${type}]`, `> **${heading}**`, '>', ...flags.map((f) => `> - ${f.message}`), ''];
}

function changeLines(section: SectionName, item: ItemChange, flags: Flags): string[] {
  const out: string[] = [];
  for (const c of item.changes) {
    out.push(`- ${c.summary}${flags.badge(section, item.id, c.path)}`);
    if (c.textDiff) out.push('', ...block('diff', c.textDiff, '  '), '');
  }
  return out;
}

/** Added steps and changed ones (edited, moved, renamed, replaced) as the diagram colours them. */
function stepMarks(change: WorkflowChange): Map<string, StepMark> {
  const marks = new Map<string, StepMark>();
  for (const id of [...change.steps.changed, ...change.steps.replaced]) marks.set(id, 'changed');
  for (const id of change.steps.added) marks.set(id, 'added');
  return marks;
}

function section<C extends ItemChange>(
  name: SectionName,
  diff: SectionDiff<C>,
  flags: Flags,
  extra: (item: C) => string[] = () => [],
  addedExtra: (id: string) => string[] = () => [],
): string[] {
  if (!diff.added.length && !diff.removed.length && !diff.renamed.length && !diff.changed.length) return [];
  const out = [`### ${TITLES[name]}`, ''];
  if (diff.added.length) {
    out.push('**Added**', '');
    for (const item of diff.added) out.push(`- ${code(item.id)}: ${item.summary}`, ...addedExtra(item.id));
    out.push('');
  }
  if (diff.removed.length) {
    out.push('**Removed**', '');
    for (const item of diff.removed) out.push(`- ${code(item.id)}: ${item.summary}${flags.badge(name, item.id)}`);
    out.push('');
  }
  if (diff.renamed.length) {
    out.push('**Renamed**', '');
    for (const r of diff.renamed) out.push(`- ${code(r.from)} → ${code(r.to)}${flags.badge(name, r.from)}`);
    out.push('');
  }
  for (const item of diff.changed) {
    out.push(`#### ${code(item.id)}`, '');
    if (item.note) out.push(item.note, '');
    out.push(...changeLines(name, item, flags), '', ...extra(item));
  }
  return out;
}

export function renderMarkdown(diff: BundleDiff, head: Bundle): string {
  const out = [COMMENT_MARKER, '## Herald: notification changes', '', `${code(diff.base.label)} → ${code(diff.head.label)}`, ''];
  if (!hasChanges(diff)) {
    out.push('No changes to notifications.');
    return `${out.join('\n')}\n`;
  }
  out.push(...summaryTable(diff), '');
  const breaking = diff.flags.filter((f) => f.kind === 'breaking');
  const resubscribe = diff.flags.filter((f) => f.kind === 'resubscribe');
  out.push(...alert('CAUTION', plural(breaking.length, 'breaking change'), breaking));
  const security = diff.flags.filter((f) => f.kind === 'security');
  out.push(...alert('IMPORTANT', `${plural(security.length, 'security-relevant change')}: endpoints or credentials`, security));
  out.push(...alert('WARNING', `${plural(resubscribe.length, 'change')} that re-subscribe${resubscribe.length === 1 ? 's' : ''} users`, resubscribe));
  const compliance = diff.flags.filter((f) => f.kind === 'compliance');
  out.push(...alert('WARNING', `${plural(compliance.length, 'compliance violation')} introduced (compiler/compliance)`, compliance));

  out.push(...compositionSection(diff));

  const flags = new Flags(diff.flags);
  const diagram = (id: string, marks: Map<string, StepMark>) => block('mermaid', workflowMermaid(head.workflows[id]!, { marks }).trimEnd());
  out.push(
    ...section(
      'workflows',
      diff.workflows,
      flags,
      (item) => [...diagram(item.id, stepMarks(item)), ''],
      (id) => ['', '  <details><summary>Diagram</summary>', '', ...diagram(id, new Map()).map((l) => `  ${l}`), '', '  </details>', ''],
    ),
  );
  for (const name of SECTIONS.filter((s) => s !== 'workflows')) out.push(...section(name, diff[name], flags));
  if (diff.settings.length) out.push(`### ${TITLES.settings}`, '', ...diff.settings.map((c: Change) => `- ${c.summary}`), '');
  if (diff.workflows.changed.length) out.push('_Diagrams: added steps in green, changed steps in yellow; removed steps are listed above them._', '');
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

/** "layout `default` changed: changes 23 templates", each followed by the templates it alters. */
function compositionSection(diff: BundleDiff): string[] {
  if (!diff.compositions?.length) return [];
  const lines = diff.compositions.flatMap((c) => [`- ${c.summary}${c.templates.length ? `: ${c.templates.map((t) => `\`${t}\``).join(', ')}` : ''}`]);
  return ['### Layouts, partials and brand', '', ...lines, ''];
}
