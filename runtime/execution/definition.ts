/**
 * Ad-hoc runs: a send that names no workflow of the bundle (the Courier-compatible `/send` with inline
 * content or routing) carries its own workflow and templates in the run row. They are laid over the run's
 * bundle for each fact, so the one engine runs them like any other workflow, pinned like any other run.
 */
import { z } from 'zod';
import { bundleForRuns } from '../../compiler/bundle/broadcasts.ts';
import { templateSchema, workflowSchema, type Bundle, type Template, type Workflow } from '../../compiler/bundle/schema.ts';

export const runDefinitionSchema = z.object({
  workflow: workflowSchema,
  templates: z.record(z.string(), templateSchema),
});
export type RunDefinition = z.infer<typeof runDefinitionSchema>;

/** The bundle as a run sees it: its own workflow and templates over the bundle's. */
export function bundleWithDefinition(bundle: Bundle, definition: unknown): Bundle {
  // A broadcast's runs find its workflow (`broadcast:<id>`) among the workflows, as every run finds its own.
  const forRuns = bundleForRuns(bundle);
  if (definition === null || definition === undefined) return forRuns;
  const { workflow, templates } = runDefinitionSchema.parse(definition);
  return { ...forRuns, workflows: { ...forRuns.workflows, [workflow.id]: workflow }, templates: { ...forRuns.templates, ...templates } };
}

export function runDefinition(workflow: Workflow, templates: Record<string, Template> = {}): RunDefinition {
  return { workflow, templates };
}
