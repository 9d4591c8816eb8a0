/**
 * A workflow as a standalone SVG: dagre lays the flow out (ranks, crossing reduction, edge routing), and the
 * drawing is written here as plain markup, so no browser or DOM is needed. Text width is estimated from the
 * character count: exact enough for boxes to hold their labels in the usual sans-serif fonts.
 */
import dagre from '@dagrejs/dagre';
import type { Workflow } from '../bundle/schema.ts';
import { workflowFlow, type Flow, type FlowNode, type FlowNodeKind } from './flow.ts';
import type { StepMark } from './mermaid.ts';

export interface SvgOptions {
  marks?: ReadonlyMap<string, StepMark>;
  /** The trigger node's lines in place of the trigger's (graph/flow.ts). */
  heading?: readonly string[];
}

interface Point {
  x: number;
  y: number;
}

const FONT_SIZE = 13;
const LINE_HEIGHT = 17;
const CHAR_WIDTH = 7.4;
const PAD_X = 14;
const PAD_Y = 9;

const COLORS: Record<FlowNodeKind | StepMark, { fill: string; stroke: string }> = {
  trigger: { fill: '#eef2ff', stroke: '#4f46e5' },
  end: { fill: '#eef2ff', stroke: '#4f46e5' },
  send: { fill: '#e0f2fe', stroke: '#0369a1' },
  delay: { fill: '#f3f4f6', stroke: '#4b5563' },
  waitFor: { fill: '#f3f4f6', stroke: '#4b5563' },
  digest: { fill: '#f3f4f6', stroke: '#4b5563' },
  throttle: { fill: '#f3f4f6', stroke: '#4b5563' },
  updateProfile: { fill: '#fce7f3', stroke: '#9d174d' },
  cancel: { fill: '#fee2e2', stroke: '#b91c1c' },
  fetch: { fill: '#ecfdf5', stroke: '#047857' },
  branch: { fill: '#fef3c7', stroke: '#b45309' },
  added: { fill: '#dafbe1', stroke: '#1a7f37' },
  changed: { fill: '#fff8c5', stroke: '#9a6700' },
};

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const num = (n: number) => String(Math.round(n * 10) / 10);

function textBox(lines: string[]): { width: number; height: number } {
  const widest = Math.max(...lines.map((l) => l.length));
  return { width: widest * CHAR_WIDTH + 2 * PAD_X, height: lines.length * LINE_HEIGHT + 2 * PAD_Y };
}

/** A diamond must be larger than the text box it holds: its corners are cut away. */
function nodeSize(node: FlowNode): { width: number; height: number } {
  const box = textBox(node.lines);
  return node.kind === 'branch' ? { width: box.width * 1.6, height: box.height * 1.8 } : box;
}

/**
 * dagre ends edges on a node's bounding box; for a diamond the end is moved in along the same line to the
 * diamond's outline, so arrowheads touch the shape.
 */
function clipToDiamond(center: Point, width: number, height: number, toward: Point): Point {
  const dx = toward.x - center.x;
  const dy = toward.y - center.y;
  const scale = Math.abs(dx) / (width / 2) + Math.abs(dy) / (height / 2);
  return scale === 0 ? center : { x: center.x + dx / scale, y: center.y + dy / scale };
}

function shape(kind: FlowNodeKind, x: number, y: number, w: number, h: number, fill: string, stroke: string): string {
  const paint = `fill="${fill}" stroke="${stroke}" stroke-width="1.5"`;
  const left = x - w / 2;
  const top = y - h / 2;
  switch (kind) {
    case 'branch':
      return `<polygon points="${num(x)},${num(top)} ${num(left + w)},${num(y)} ${num(x)},${num(top + h)} ${num(left)},${num(y)}" ${paint}/>`;
    case 'trigger':
    case 'end':
      return `<rect x="${num(left)}" y="${num(top)}" width="${num(w)}" height="${num(h)}" rx="${num(h / 2)}" ${paint}/>`;
    case 'send':
    case 'updateProfile':
    case 'cancel':
      return `<rect x="${num(left)}" y="${num(top)}" width="${num(w)}" height="${num(h)}" rx="3" ${paint}/>`;
    default:
      return `<rect x="${num(left)}" y="${num(top)}" width="${num(w)}" height="${num(h)}" rx="12" ${paint}/>`;
  }
}

function text(lines: string[], x: number, y: number): string {
  const first = y - ((lines.length - 1) * LINE_HEIGHT) / 2;
  const spans = lines.map(
    (line, i) => `<tspan x="${num(x)}" y="${num(first + i * LINE_HEIGHT)}"${i === 0 ? ' font-weight="600"' : ''}>${escapeXml(line)}</tspan>`,
  );
  return `<text text-anchor="middle" dominant-baseline="central">${spans.join('')}</text>`;
}

/**
 * Left-to-right order for the first node of each branch arm, so arms read in the order they are tried;
 * dagre's crossing reduction alone may mirror them.
 */
function armOrder(flow: Flow): { left: string; right: string }[] {
  const constraints: { left: string; right: string }[] = [];
  for (const node of flow.nodes.filter((n) => n.kind === 'branch')) {
    const targets = [...new Set(flow.edges.filter((e) => e.from === node.key).map((e) => e.to))];
    for (let i = 1; i < targets.length; i++) constraints.push({ left: targets[i - 1]!, right: targets[i]! });
  }
  return constraints;
}

/**
 * Edge indices in the order given to dagre. Its initial ordering mirrors the siblings of a node, so a
 * branch's arms go in last-first: then the labels' placeholder nodes (which `armOrder` cannot name) are
 * laid out in the same order as the arms and no arm label crosses another arm.
 */
function insertionOrder(flow: Flow): number[] {
  const order = flow.edges.map((_, i) => i);
  for (const node of flow.nodes.filter((n) => n.kind === 'branch')) {
    const slots = order.filter((i) => flow.edges[i]!.from === node.key);
    const reversed = [...slots].reverse();
    slots.forEach((slot, k) => (order[slot] = reversed[k]!));
  }
  return order;
}

export function workflowSvg(workflow: Workflow, options: SvgOptions = {}): string {
  const flow = workflowFlow(workflow, options.heading);
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 40, ranksep: 46, edgesep: 16, marginx: 16, marginy: 16 });
  for (const node of flow.nodes) g.setNode(node.key, nodeSize(node));
  for (const i of insertionOrder(flow)) {
    const edge = flow.edges[i]!;
    const label = edge.label === undefined ? {} : { ...textBox([edge.label]), labelpos: 'c' as const };
    g.setEdge(edge.from, edge.to, label, `e${i}`);
  }
  dagre.layout(g, { constraints: armOrder(flow) });

  const byKey = new Map(flow.nodes.map((n) => [n.key, n]));
  const edgeMarkup: string[] = [];
  const labelMarkup: string[] = [];
  flow.edges.forEach((edge, i) => {
    const laid = g.edge(edge.from, edge.to, `e${i}`);
    const points = [...(laid.points ?? [])];
    if (points.length < 2) return;
    for (const [end, neighbour, key] of [
      [0, 1, edge.from],
      [points.length - 1, points.length - 2, edge.to],
    ] as const) {
      if (byKey.get(key)?.kind !== 'branch') continue;
      const n = g.node(key);
      points[end] = clipToDiamond({ x: n.x ?? 0, y: n.y ?? 0 }, n.width, n.height, points[neighbour]!);
    }
    const d = points.map((p, j) => `${j === 0 ? 'M' : 'L'}${num(p.x)},${num(p.y)}`).join(' ');
    edgeMarkup.push(`<path class="edge" d="${d}" fill="none" stroke="#57606a" stroke-width="1.4" marker-end="url(#arrow)"/>`);
    if (edge.label !== undefined && laid.x !== undefined && laid.y !== undefined) {
      const box = textBox([edge.label]);
      labelMarkup.push(
        `<g class="edge-label"><rect x="${num(laid.x - box.width / 2)}" y="${num(laid.y - LINE_HEIGHT / 2 - 2)}" width="${num(box.width)}" height="${LINE_HEIGHT + 4}" rx="3" fill="#ffffff" fill-opacity="0.9"/>` +
          `<text x="${num(laid.x)}" y="${num(laid.y)}" text-anchor="middle" dominant-baseline="central" font-style="italic" fill="#57606a">${escapeXml(edge.label)}</text></g>`,
      );
    }
  });

  const nodeMarkup = flow.nodes.map((node) => {
    const n = g.node(node.key);
    const x = n.x ?? 0;
    const y = n.y ?? 0;
    const mark = node.stepId === undefined ? undefined : options.marks?.get(node.stepId);
    const { fill, stroke } = COLORS[mark ?? node.kind];
    const attrs =
      node.stepId === undefined ? `class="node ${node.kind}"` : `class="node step ${node.kind}${mark ? ` ${mark}` : ''}" data-step="${escapeXml(node.stepId)}"`;
    return `<g ${attrs}>${shape(node.kind, x, y, n.width, n.height, fill, stroke)}${text(node.lines, x, y)}</g>`;
  });

  const graph = g.graph();
  const width = Math.ceil(graph.width ?? 0);
  const height = Math.ceil(graph.height ?? 0);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="${FONT_SIZE}" fill="#1f2328">`,
    `<title>workflow ${escapeXml(workflow.id)}</title>`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#57606a"/></marker></defs>',
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<g class="edges">${edgeMarkup.join('')}</g>`,
    `<g class="nodes">${nodeMarkup.join('')}</g>`,
    `<g class="edge-labels">${labelMarkup.join('')}</g>`,
    '</svg>',
    '',
  ].join('\n');
}
