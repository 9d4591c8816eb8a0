import type { BundleContent } from '../bundle/schema.ts';
import { lowerCategories, lowerChannels, lowerEvents, lowerProviders, lowerSettings } from './catalog.ts';
import type { LowerContext } from './context.ts';
import { lowerLimits } from './limits.ts';
import { lowerTemplates } from './templates.ts';
import { lowerWorkflows } from './workflows.ts';

/** Definitions → bundle content (unsealed), reporting every problem into the context. */
export function lowerAll(ctx: LowerContext): Omit<BundleContent, 'formatVersion'> {
  const retention = lowerSettings(ctx);
  const events = lowerEvents(ctx);
  const providers = lowerProviders(ctx);
  const channels = lowerChannels(ctx, providers);
  const categories = lowerCategories(ctx);
  const limits = lowerLimits(ctx, retention.retentionMs, categories);
  const settings = limits ? { ...retention, limits } : retention;
  const templates = lowerTemplates(ctx, events);
  const workflows = lowerWorkflows(ctx, { settings, events, providers, channels, categories, templates });
  return { settings, events, providers, channels, categories, templates, workflows };
}
