import type { Diagnostic } from './diagnostic.ts';

/** `path:line:col - error code: message`, the source line with a caret, then the hint. */
export function formatDiagnostic(d: Diagnostic): string {
  const lines = [`${d.file}:${d.line}:${d.column} - ${d.severity} ${d.code}: ${d.message}`];
  if (d.excerpt) {
    const gutter = String(d.line);
    lines.push(`  ${gutter} | ${d.excerpt}`);
    lines.push(`  ${' '.repeat(gutter.length)} | ${' '.repeat(Math.max(0, d.column - 1))}^`);
  }
  if (d.hint) lines.push(`  hint: ${d.hint}`);
  return lines.join('\n');
}

/** GitHub Actions workflow command, so a pull request shows the problem on the changed line. */
export function formatAnnotation(d: Diagnostic): string {
  const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const escapeProp = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
  const text = d.hint ? `${d.message} (${d.hint})` : d.message;
  return `::${d.severity} file=${escapeProp(d.file)},line=${d.line},col=${d.column},title=${escapeProp(d.code)}::${escapeData(text)}`;
}

export function summarize(list: Diagnostic[]): string {
  const errors = list.filter((d) => d.severity === 'error').length;
  const warnings = list.length - errors;
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  return `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
}
