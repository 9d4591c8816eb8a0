import type { BundleContent } from '../bundle/schema.ts';
import { reportCompliance } from '../compliance/report.ts';
import { lowerAudiences } from './audiences.ts';
import { lowerBroadcasts } from './broadcasts.ts';
import { lowerCategories, lowerChannels, lowerEvents, lowerProviders, lowerSettings } from './catalog.ts';
import type { LowerContext } from './context.ts';
import { lowerLayouts } from './layouts.ts';
import { lowerLimits } from './limits.ts';
import { lowerTemplates } from './templates.ts';
import { lowerWorkflows } from './workflows.ts';

/** Definitions → bundle content (unsealed), reporting every problem into the context. */
export async function lowerAll(ctx: LowerContext): Promise<Omit<BundleContent, 'formatVersion'>> {
  const retention = lowerSettings(ctx);
  const events = lowerEvents(ctx);
  const providers = lowerProviders(ctx);
  const channels = lowerChannels(ctx, providers);
  const categories = lowerCategories(ctx);
  const audiences = lowerAudiences(ctx, categories);
  const limits = lowerLimits(ctx, retention.retentionMs, categories);
  const settings = limits ? { ...retention, limits } : retention;
  const templates = await lowerTemplates(ctx, events, lowerLayouts(ctx, events), settings.brand);
  const workflows = lowerWorkflows(ctx, { settings, events, providers, channels, categories, templates });
  const broadcasts = lowerBroadcasts(ctx, { settings, events, providers, channels, categories, templates });
  // On the lowered content, where layouts and partials are composed in: a footer in a layout serves every email.
  reportCompliance(ctx, { settings, templates, workflows, categories, ...(broadcasts ? { broadcasts } : {}) });
  // Written only when a broadcast is defined: bundles without any keep their bytes and version.
  // Audiences too: written only when one is defined.
  return {
    settings,
    events,
    providers,
    channels,
    categories,
    templates,
    workflows,
    ...(broadcasts ? { broadcasts } : {}),
    ...(audiences ? { audiences } : {}),
  };
}
