/**
 * Compliance findings a change introduces: the compliance lint (compiler/compliance) run on both bundles, and
 * each head finding whose rule and subject the base did not have is flagged. A violation already there before
 * is not this change's doing (the check output lists it), and a length that grows stays the same violation.
 */
import { broadcastIdOf } from '../bundle/broadcasts.ts';
import { lintBundle } from '../compliance/lint.ts';
import { findingKey, type Finding } from '../compliance/rules.ts';
import type { RuleInput } from './breaking.ts';
import type { Flag, SectionName } from './model.ts';

/** The item the finding is about; for a template, also its field as the template diff names it (the badge goes there). */
function place(f: Finding): { section: SectionName; id: string; path?: string } {
  const s = f.subject;
  if (s.kind === 'template') return { section: 'templates', id: s.id, path: [s.locale === undefined ? 'content' : `locales.${s.locale}`, ...s.path].join('.') };
  if (s.kind === 'category') return { section: 'categories', id: s.id };
  const broadcast = broadcastIdOf(s.workflow);
  return broadcast === undefined ? { section: 'workflows', id: s.workflow } : { section: 'broadcasts', id: broadcast };
}

export function complianceFlags({ base, head }: Pick<RuleInput, 'base' | 'head'>): Flag[] {
  const before = new Set(lintBundle(base).map(findingKey));
  return lintBundle(head)
    .filter((f) => !before.has(findingKey(f)))
    .map((f) => ({ kind: 'compliance', rule: 'compliance-violation-introduced', ...place(f), message: `${f.message} (\`${f.rule}\`)` }));
}
