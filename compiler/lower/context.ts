/**
 * What every lowering/check step shares: the definitions by kind, the source locator, and the diagnostics sink.
 */
import type { Node } from 'ts-morph';
import { broadcastIdOf } from '../bundle/broadcasts.ts';
import type { DiagnosticCode } from '../diagnostics/codes.ts';
import { diagnostic, type Diagnostic, type SourceLocation } from '../diagnostics/diagnostic.ts';
import { closest } from '../templates/closest.ts';
import type { Locator } from '../load/source.ts';
import type { EvaluatedDefinition, SerialDefinition } from '../load/serial.ts';

export type DefinitionOf<K extends SerialDefinition['kind']> = Extract<SerialDefinition, { kind: K }>;

export interface Located<D> {
  def: D;
  file: string;
}

export class LowerContext {
  readonly diagnostics: Diagnostic[] = [];
  readonly locator: Locator;
  readonly evaluated: EvaluatedDefinition[];

  constructor(locator: Locator, evaluated: EvaluatedDefinition[]) {
    this.locator = locator;
    this.evaluated = evaluated;
  }

  all<K extends SerialDefinition['kind']>(kind: K): Located<DefinitionOf<K>>[] {
    return this.evaluated.filter((e) => e.definition.kind === kind).map((e) => ({ def: e.definition as DefinitionOf<K>, file: e.file }));
  }

  /** Location of a definition's field (`path`), falling back to the definition, then to its file. */
  where(kind: string, id: string, file: string, path: readonly string[] = []): SourceLocation {
    const call = this.locator.definition(kind, id, file);
    return this.locator.at(call && path.length ? this.locator.field(call, path) : call, file);
  }

  /** Location of a step's field inside a workflow. */
  whereStep(workflowId: string, stepId: string, file: string, path: readonly string[] = []): SourceLocation {
    const call = this.locator.step(workflowId, stepId);
    // A broadcast's `template` shortcut has no step call: its send's fields are the broadcast's own.
    const broadcast = broadcastIdOf(workflowId);
    if (!call && broadcast !== undefined) return this.where('broadcast', broadcast, file, path.length ? path : ['steps']);
    if (!call) return this.where('workflow', workflowId, file, ['steps']);
    return this.locator.at(path.length ? this.locator.field(call, path) : call, file);
  }

  nodeAt(node: Node | undefined, file: string): SourceLocation {
    return this.locator.at(node, file);
  }

  report(code: DiagnosticCode, at: SourceLocation, message: string, hint?: string, severity: Diagnostic['severity'] = 'error'): void {
    this.diagnostics.push(diagnostic(code, at, message, hint, severity));
  }

  /** `did you mean "x"?` when a close candidate exists, else the list of what exists. */
  suggest(word: string, candidates: readonly string[], noun: string): string {
    const best = closest(word, candidates);
    if (best) return `did you mean "${best}"?`;
    if (candidates.length === 0) return `no ${noun} is defined`;
    const shown = [...candidates].sort().slice(0, 8);
    return `known ${noun}s: ${shown.map((c) => `"${c}"`).join(', ')}${candidates.length > 8 ? ', …' : ''}`;
  }
}
