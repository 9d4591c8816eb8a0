/**
 * What `herald diff` finds, as data: `--json` prints it as is, and the Markdown renderer only lays it out.
 * Every change carries a one-line summary for people (Markdown-flavoured: ids in backticks) next to the
 * values before and after for machines.
 */
import type { JsonValue } from '../bundle/schema.ts';
import type { CompositionChange } from './layouts.ts';

export type { CompositionChange } from './layouts.ts';

export type SectionName = 'workflows' | 'templates' | 'events' | 'routing' | 'providers' | 'categories' | 'audiences' | 'broadcasts' | 'settings';

export interface Change {
  /** Where, inside the item: `steps.welcome-opened.timeoutMs`, `content.email.subject`, `fields.company`. */
  path: string;
  /** One line for a reviewer: "wait `welcome-opened`: timeout 2h → 3h". */
  summary: string;
  before?: JsonValue;
  after?: JsonValue;
  /** For text (template content): the unified diff, without a fence. */
  textDiff?: string;
}

/** An added or removed item, with the one line that says what it is. */
export interface Item {
  id: string;
  summary: string;
}

/** An item whose content is unchanged but whose id is new: to the runtime, a removal and an addition. */
export interface Rename {
  from: string;
  to: string;
}

export interface ItemChange {
  id: string;
  changes: Change[];
  /** Context that is not a change, e.g. which steps send a changed template. */
  note?: string;
}

export interface StepChanges {
  added: string[];
  removed: string[];
  renamed: Rename[];
  /** Same id, different kind of step. */
  replaced: string[];
  /** Head ids of steps that exist on both sides and differ (fields, place); drawn as changed. */
  changed: string[];
}

export interface WorkflowChange extends ItemChange {
  steps: StepChanges;
}

export interface SectionDiff<C extends ItemChange = ItemChange> {
  added: Item[];
  removed: Item[];
  renamed: Rename[];
  changed: C[];
}

export type FlagKind = 'breaking' | 'resubscribe' | 'security' | 'compliance';

export type FlagRule =
  | 'workflow-removed'
  | 'workflow-renamed'
  | 'step-removed'
  | 'step-renamed'
  | 'step-kind-changed'
  | 'event-required-field'
  | 'template-removed'
  | 'category-default-channel-added'
  | 'category-made-required'
  | 'workflow-category-changed'
  | 'send-made-critical'
  | 'match-removed'
  | 'provider-endpoint-changed'
  | 'provider-kind-changed'
  | 'provider-credentials-changed'
  | 'workflow-opened-to-clients'
  | 'fetch-request-changed'
  | 'compliance-violation-introduced';

export interface Flag {
  kind: FlagKind;
  rule: FlagRule;
  section: SectionName;
  /** The item the flag is about (for a rename, its old id). */
  id: string;
  /** The change it is about, when it is about one change of the item rather than the whole item. */
  path?: string;
  message: string;
}

export interface SideInfo {
  /** How the side was named on the command line: a file, a folder, a git ref, or "working tree". */
  label: string;
  version: string;
}

export interface BundleDiff {
  base: SideInfo;
  head: SideInfo;
  workflows: SectionDiff<WorkflowChange>;
  templates: SectionDiff;
  events: SectionDiff;
  /** Channels → the providers that serve them, in failover order. */
  routing: SectionDiff;
  providers: SectionDiff;
  categories: SectionDiff;
  audiences: SectionDiff;
  /** Broadcasts: who they reach, rate, window, category, steps. */
  broadcasts: SectionDiff;
  settings: Change[];
  /** Layouts, partials and the brand that changed, each with the templates whose rendered output it alters; absent when none did. */
  compositions?: CompositionChange[];
  flags: Flag[];
}

export const SECTIONS = [
  'workflows',
  'templates',
  'events',
  'routing',
  'providers',
  'categories',
  'audiences',
  'broadcasts',
] as const satisfies readonly SectionName[];

export function hasChanges(diff: BundleDiff): boolean {
  return (
    diff.settings.length > 0 ||
    (diff.compositions?.length ?? 0) > 0 ||
    SECTIONS.some((s) => diff[s].added.length + diff[s].removed.length + diff[s].renamed.length + diff[s].changed.length > 0)
  );
}
