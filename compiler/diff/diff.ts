/** Two bundles → every change between them, flagged. The one entry point of the model diff. */
import { sealBundle } from '../bundle/canonical.ts';
import type { Bundle } from '../bundle/schema.ts';
import { diffAudiences } from './audiences.ts';
import { diffBroadcasts } from './broadcasts.ts';
import { flagChanges } from './breaking.ts';
import { diffCategories, diffProviders, diffRouting, diffSettings } from './catalog.ts';
import { complianceFlags } from './compliance.ts';
import { diffEvents } from './events.ts';
import { diffCompositions } from './layouts.ts';
import type { BundleDiff } from './model.ts';
import { securityFlags } from './security.ts';
import { diffTemplates } from './templates.ts';
import { diffWorkflows } from './workflows.ts';

export interface Labels {
  base: string;
  head: string;
}

export function diffBundles(base: Bundle, head: Bundle, labels: Labels = { base: 'base', head: 'head' }): BundleDiff {
  const diff: Omit<BundleDiff, 'flags'> = {
    base: { label: labels.base, version: base.version },
    head: { label: labels.head, version: head.version },
    workflows: diffWorkflows(base, head),
    templates: diffTemplates(base, head),
    events: diffEvents(base, head),
    routing: diffRouting(base, head),
    providers: diffProviders(base, head),
    categories: diffCategories(base, head),
    audiences: diffAudiences(base, head),
    broadcasts: diffBroadcasts(base, head),
    settings: diffSettings(base, head),
  };
  // Written only when a layout, partial or the brand changed, so other diffs keep their JSON.
  const compositions = diffCompositions(base, head);
  if (compositions.length) diff.compositions = compositions;
  return { ...diff, flags: [...flagChanges({ diff, base, head }), ...securityFlags({ diff, base, head }), ...complianceFlags({ base, head })] };
}

/**
 * The bundle of a side that has no notifications yet (the pull request that adds the folder): everything
 * on the other side shows as added. Settings are taken from the other side, so they do not show as changed.
 */
export function emptyBundle(settings: Bundle['settings']): Bundle {
  return sealBundle({ settings, events: {}, templates: {}, workflows: {}, providers: {}, channels: {}, categories: {} });
}
