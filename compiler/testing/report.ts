/**
 * `herald test` output for people: one line per scenario, and for each failure the scenario, where it
 * failed, the expected and actual values, and the timeline of what actually happened.
 */
import type { ScenarioResult } from './run-scenario.ts';

const ms = (n: number) => `${n < 10 ? n.toFixed(1) : Math.round(n)} ms`;

export function formatResultLine(r: ScenarioResult): string {
  return `${r.ok ? '✓' : '✗'} ${r.name}${r.workflow ? ` [${r.workflow}]` : ''} (${ms(r.ms)})`;
}

export function formatFailure(r: ScenarioResult): string {
  const f = r.failure;
  if (!f) return '';
  const lines = [`── ${r.name} ──`, `  ${r.file}${f.line ? `:${f.line}` : ''}`];
  if (f.source) lines.push(`  > ${f.source}`);
  lines.push(`  ${f.message}`);
  if (f.expected !== undefined) lines.push('', '  expected:', indent(f.expected, '    '));
  if (f.actual !== undefined) lines.push('', '  actual:', indent(f.actual, '    '));
  if (r.timeline.length) lines.push('', '  timeline (what happened):', ...r.timeline.map((l) => `    ${l}`));
  return lines.join('\n');
}

export function formatSummary(results: ScenarioResult[]): string {
  const failed = results.filter((r) => !r.ok).length;
  const passed = results.length - failed;
  return `${failed ? '✗' : '✓'} ${passed} passed${failed ? `, ${failed} failed` : ''} (${results.length} scenario${results.length === 1 ? '' : 's'})`;
}

function indent(text: string, by: string): string {
  return text
    .split('\n')
    .map((l) => `${by}${l}`)
    .join('\n');
}
