/**
 * The shape every section of the diff shares: two records keyed by id → added, removed, renamed, changed.
 * Each section supplies only how to summarise an item and how to compare two versions of it.
 */
import { canonicalJson } from '../bundle/canonical.ts';
import type { JsonValue } from '../bundle/schema.ts';
import type { Change, Item, ItemChange, Rename, SectionDiff } from './model.ts';
import { byId } from './words.ts';

/**
 * A change record. Values come from the bundle, which is JSON by contract, so they are carried as JSON;
 * an absent side (an addition, a removal) is left out rather than written as null.
 */
export function change(path: string, summary: string, before?: unknown, after?: unknown): Change {
  return {
    path,
    summary,
    ...(before === undefined ? {} : { before: before as JsonValue }),
    ...(after === undefined ? {} : { after: after as JsonValue }),
  };
}

export function same(a: unknown, b: unknown): boolean {
  return a === b || canonicalJson(a) === canonicalJson(b);
}

/** Two items are one renamed item when everything but their id is equal. */
export function sameExcept(a: object, b: object, key: string): boolean {
  const strip = (x: object) => Object.fromEntries(Object.entries(x).filter(([k]) => k !== key));
  return same(strip(a), strip(b));
}

/** Pairs each removed id with the first added id whose item is the same apart from its id. */
export function pairRenames<T>(
  removed: string[],
  added: string[],
  base: Record<string, T>,
  head: Record<string, T>,
  isRename: (a: T, b: T) => boolean,
): Rename[] {
  const taken = new Set<string>();
  const renames: Rename[] = [];
  for (const from of removed) {
    const to = added.find((id) => !taken.has(id) && isRename(base[from]!, head[id]!));
    if (to === undefined) continue;
    taken.add(to);
    renames.push({ from, to });
  }
  return renames;
}

export interface RecordDiffOptions<T, C extends ItemChange> {
  summarize: (item: T) => string;
  compare: (id: string, before: T, after: T) => C;
  /** Rename detection; omitted where an id is the whole identity (a channel's route). */
  isRename?: (a: T, b: T) => boolean;
}

export function diffRecords<T, C extends ItemChange>(base: Record<string, T>, head: Record<string, T>, options: RecordDiffOptions<T, C>): SectionDiff<C> {
  let removedIds = Object.keys(base)
    .filter((id) => !(id in head))
    .sort(byId);
  let addedIds = Object.keys(head)
    .filter((id) => !(id in base))
    .sort(byId);
  const renamed = options.isRename ? pairRenames(removedIds, addedIds, base, head, options.isRename) : [];
  removedIds = removedIds.filter((id) => !renamed.some((r) => r.from === id));
  addedIds = addedIds.filter((id) => !renamed.some((r) => r.to === id));

  const changed: C[] = [];
  for (const id of Object.keys(head)
    .filter((id) => id in base)
    .sort(byId)) {
    if (same(base[id], head[id])) continue;
    const change = options.compare(id, base[id]!, head[id]!);
    // A difference no comparer names still has to show: an empty list would hide it.
    if (!change.changes.length) change.changes.push(fallback());
    changed.push(change);
  }
  return {
    added: addedIds.map((id): Item => ({ id, summary: options.summarize(head[id]!) })),
    removed: removedIds.map((id): Item => ({ id, summary: options.summarize(base[id]!) })),
    renamed,
    changed,
  };
}

function fallback(): Change {
  return { path: '', summary: 'changed' };
}

export function emptySection<C extends ItemChange>(): SectionDiff<C> {
  return { added: [], removed: [], renamed: [], changed: [] };
}
