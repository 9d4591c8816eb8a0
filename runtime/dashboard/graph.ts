/**
 * The workflow page's diagram: exactly the SVG of `herald graph --format svg` (compiler/graph/svg.ts), with
 * one group added at the end that badges each step with the runs that passed through it. The badges are
 * placed from the node shapes already in the markup; if that markup ever changes shape, the badges are left
 * out and the diagram is still the compiler's (the page's table has the same numbers).
 */
import type { Workflow } from '../../compiler/bundle/schema.ts';
import { workflowSvg } from '../../compiler/graph/svg.ts';
import { h } from './html.ts';

export interface StepCounts {
  passed: ReadonlyMap<string, number>;
  waiting: ReadonlyMap<string, number>;
}

/** The same escaping svg.ts applies to `data-step`, so ids match as written. */
const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

interface Box {
  top: number;
  right: number;
}

/** Top-right corner of each step's shape, by escaped step id. */
function stepBoxes(svg: string): Map<string, Box> {
  const boxes = new Map<string, Box>();
  const node = /<g class="node step[^"]*" data-step="([^"]*)">(?:<rect x="([-\d.]+)" y="([-\d.]+)" width="([-\d.]+)"|<polygon points="([^"]+)")/g;
  for (const m of svg.matchAll(node)) {
    if (m[5] !== undefined) {
      const pts = m[5].split(' ').map((p) => p.split(',').map(Number) as [number, number]);
      boxes.set(m[1]!, { top: Math.min(...pts.map((p) => p[1])), right: Math.max(...pts.map((p) => p[0])) });
    } else {
      boxes.set(m[1]!, { top: Number(m[3]), right: Number(m[2]) + Number(m[4]) });
    }
  }
  return boxes;
}

export function workflowGraph(workflow: Workflow, counts: StepCounts): string {
  const svg = workflowSvg(workflow);
  const boxes = stepBoxes(svg);
  const badges = [...boxes].map(([escapedId, box]) => {
    const stepId = [...counts.passed.keys(), ...counts.waiting.keys()].find((id) => escapeXml(id) === escapedId);
    const passed = stepId === undefined ? 0 : (counts.passed.get(stepId) ?? 0);
    const waiting = stepId === undefined ? 0 : (counts.waiting.get(stepId) ?? 0);
    const label = `${passed} run${passed === 1 ? '' : 's'}${waiting ? ` · ${waiting} waiting` : ''}`;
    const width = Math.round(label.length * 6.6 + 14);
    const x = Math.round(box.right - width + 8);
    const y = Math.round(box.top - 9);
    return h`<g class="run-count"><rect x="${x}" y="${y}" width="${width}" height="18" rx="9" fill="#1f2328"/><text x="${x + width / 2}" y="${y + 9}" text-anchor="middle" dominant-baseline="central" font-size="11" font-weight="600" fill="#ffffff">${label}</text></g>`;
  });
  const group = String(h`<g class="run-counts">${badges}</g>`);
  const end = svg.lastIndexOf('</svg>');
  return end < 0 ? svg : `${svg.slice(0, end)}${group}\n${svg.slice(end)}`;
}
