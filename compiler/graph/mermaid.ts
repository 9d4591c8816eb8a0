/**
 * A workflow as a Mermaid flowchart: what `herald graph` prints and what `herald diff` embeds in a pull
 * request (GitHub renders ```mermaid blocks). Steps can be marked added or changed, drawn with a classDef.
 */
import type { Workflow } from '../bundle/schema.ts';
import { workflowFlow, type FlowNode, type FlowNodeKind } from './flow.ts';

export type StepMark = 'added' | 'changed';

export interface MermaidOptions {
  /** Step id → how the diff marks it. */
  marks?: ReadonlyMap<string, StepMark>;
  /** The trigger node's lines in place of the trigger's (graph/flow.ts). */
  heading?: readonly string[];
}

/** Shape per kind: sends are boxes, waits are rounded, branches are diamonds, ends are stadiums. */
const SHAPES: Record<FlowNodeKind, [string, string]> = {
  trigger: ['([', '])'],
  end: ['([', '])'],
  send: ['[', ']'],
  delay: ['(', ')'],
  waitFor: ['(', ')'],
  digest: ['(', ')'],
  throttle: ['(', ')'],
  updateProfile: ['[/', '/]'],
  cancel: ['>', ']'],
  fetch: ['[(', ')]'],
  branch: ['{', '}'],
};

const CLASS_DEFS: Record<StepMark, string> = {
  added: 'fill:#dafbe1,stroke:#1a7f37,stroke-width:2px,color:#1f2328',
  changed: 'fill:#fff8c5,stroke:#9a6700,stroke-width:2px,color:#1f2328',
};

/**
 * Mermaid's entity codes keep quotes and angle brackets from ending the label or being read as HTML
 * (`data.count < 3` must not open a tag), and `&` from starting an HTML entity; `#` goes first, as it
 * starts Mermaid's own codes.
 */
function escapeLabel(text: string): string {
  return text.replace(/#/g, '#35;').replace(/&/g, '#amp;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}

/**
 * Mermaid ids allow letters, digits and `_` safely, and `end` is a keyword: the trigger and end are `start`
 * and `finish`, step ids become `s_<id>` with other characters replaced, and a numeric suffix settles the
 * rare collision (`a-b` vs `a_b`).
 */
function nodeIds(nodes: FlowNode[]): Map<string, string> {
  const ids = new Map<string, string>();
  const used = new Set<string>();
  for (const node of nodes) {
    const base = node.stepId === undefined ? (node.kind === 'end' ? 'finish' : 'start') : `s_${node.stepId.replace(/[^A-Za-z0-9_]/g, '_')}`;
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}_${n}`;
    used.add(id);
    ids.set(node.key, id);
  }
  return ids;
}

export function workflowMermaid(workflow: Workflow, options: MermaidOptions = {}): string {
  const flow = workflowFlow(workflow, options.heading);
  const ids = nodeIds(flow.nodes);
  const lines = ['flowchart TD'];
  for (const node of flow.nodes) {
    const [open, close] = SHAPES[node.kind];
    lines.push(`  ${ids.get(node.key)}${open}"${node.lines.map(escapeLabel).join('<br/>')}"${close}`);
  }
  for (const edge of flow.edges) {
    const label = edge.label === undefined ? '' : `|"${escapeLabel(edge.label)}"|`;
    lines.push(`  ${ids.get(edge.from)} -->${label} ${ids.get(edge.to)}`);
  }
  const marks = options.marks ?? new Map<string, StepMark>();
  for (const mark of ['added', 'changed'] as const) {
    const marked = flow.nodes.filter((n) => n.stepId !== undefined && marks.get(n.stepId) === mark).map((n) => ids.get(n.key));
    if (!marked.length) continue;
    lines.push(`  classDef ${mark} ${CLASS_DEFS[mark]}`);
    lines.push(`  class ${marked.join(',')} ${mark}`);
  }
  return `${lines.join('\n')}\n`;
}
