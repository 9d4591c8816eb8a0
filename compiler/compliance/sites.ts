/**
 * Where templates are sent: every send step of the workflows and broadcasts, with what the rules need to know
 * about it (its category, whether it is critical, the window that applies to it). A template's category is its
 * sends': templates have none of their own.
 */
import { broadcastIdOf, broadcastWorkflow } from '../bundle/broadcasts.ts';
import type { Bundle, Category, Channel, SendWindow, Workflow } from '../bundle/schema.ts';
import { allSteps } from '../bundle/walk.ts';

/** What the lint reads of a bundle (the lowered content, before it is sealed). */
export type LintInput = Pick<Bundle, 'settings' | 'templates' | 'workflows' | 'categories'> & Partial<Pick<Bundle, 'broadcasts'>>;

export interface SendSite {
  /** The workflow id (`broadcast:<id>` for a broadcast), as the step locator knows it. */
  workflow: string;
  step: string;
  template: string;
  channels: readonly Channel[];
  category?: Category;
  critical: boolean;
  /** The step's window, else its workflow's (as the engine applies them). */
  window?: SendWindow;
}

export function sendSites(bundle: LintInput): SendSite[] {
  const workflows: Workflow[] = [...Object.values(bundle.workflows), ...Object.values(bundle.broadcasts ?? {}).map(broadcastWorkflow)];
  const sites: SendSite[] = [];
  for (const workflow of workflows) {
    const category = workflow.category !== undefined && Object.hasOwn(bundle.categories, workflow.category) ? bundle.categories[workflow.category] : undefined;
    for (const step of allSteps(workflow.steps)) {
      if (step.kind !== 'send') continue;
      const window = step.window ?? workflow.window;
      sites.push({
        workflow: workflow.id,
        step: step.id,
        template: step.template,
        channels: step.routing.channels,
        ...(category ? { category } : {}),
        critical: step.critical,
        ...(window ? { window } : {}),
      });
    }
  }
  return sites;
}

/** "workflow `onboarding` step `welcome`", or "broadcast `spring-launch`" for a broadcast's send. */
export function describeSite(site: SendSite): string {
  const broadcast = broadcastIdOf(site.workflow);
  return broadcast === undefined ? `workflow "${site.workflow}" step "${site.step}"` : `broadcast "${broadcast}"`;
}
