/**
 * Ad-hoc runs: a send that names no workflow of the bundle (the Courier-compatible `/send` with inline
 * content or routing) carries its own workflow and templates in the run row. They are laid over the run's
 * bundle for each fact, so the one engine runs them like any other workflow, pinned like any other run.
 */
import { z } from 'zod';
import { templateSchema, workflowSchema, type Bundle, type Template, type Workflow } from '../../compiler/bundle/schema.ts';

export const runDefinitionSchema = z.object({
  workflow: workflowSchema,
  templates: z.record(z.string(), templateSchema),
});
export type RunDefinition = z.infer<typeof runDefinitionSchema>;

/** The bundle as a run sees it: its own workflow and templates over the bundle's. */
export function bundleWithDefinition(bundle: Bundle, definition: unknown): Bundle {
  if (definition === null || definition === undefined) return bundle;
  const { workflow, templates } = runDefinitionSchema.parse(definition);
  return { ...bundle, workflows: { ...bundle.workflows, [workflow.id]: workflow }, templates: { ...bundle.templates, ...templates } };
}

export function runDefinition(workflow: Workflow, templates: Record<string, Template> = {}): RunDefinition {
  return { workflow, templates };
}
