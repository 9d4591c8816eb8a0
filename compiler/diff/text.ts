/** Unified diffs of template text, in the format `diff -u` prints and GitHub colours in a ```diff block. */
import { editScript } from './lcs.ts';

const CONTEXT = 3;

type Line = { mark: ' ' | '-' | '+'; text: string; oldNo: number; newNo: number };

/** `@@ -3,2 +3,4 @@`; a count of one is left out, and an empty side is numbered from the line before. */
function range(start: number, count: number): string {
  if (count === 0) return `${start - 1},0`;
  return count === 1 ? String(start) : `${start},${count}`;
}

/**
 * The hunks of a line diff between `before` and `after` (an absent value diffs as empty text), or the
 * empty string when they are equal.
 */
export function unifiedDiff(before: string | undefined, after: string | undefined): string {
  const a = before === undefined || before === '' ? [] : before.split('\n');
  const b = after === undefined || after === '' ? [] : after.split('\n');
  const lines: Line[] = [];
  let oldNo = 1;
  let newNo = 1;
  for (const edit of editScript(a, b)) {
    if (edit.op === 'equal') lines.push({ mark: ' ', text: edit.a, oldNo: oldNo++, newNo: newNo++ });
    else if (edit.op === 'delete') lines.push({ mark: '-', text: edit.a, oldNo: oldNo++, newNo });
    else lines.push({ mark: '+', text: edit.b, oldNo, newNo: newNo++ });
  }
  const changed = lines.flatMap((l, i) => (l.mark === ' ' ? [] : [i]));
  if (!changed.length) return '';

  // Group changed lines whose context windows touch into one hunk each.
  const hunks: [number, number][] = [];
  for (const i of changed) {
    const from = Math.max(0, i - CONTEXT);
    const to = Math.min(lines.length - 1, i + CONTEXT);
    const last = hunks[hunks.length - 1];
    if (last && from <= last[1] + 1) last[1] = to;
    else hunks.push([from, to]);
  }
  const out: string[] = [];
  for (const [from, to] of hunks) {
    const slice = lines.slice(from, to + 1);
    const oldCount = slice.filter((l) => l.mark !== '+').length;
    const newCount = slice.filter((l) => l.mark !== '-').length;
    out.push(`@@ -${range(slice[0]!.oldNo, oldCount)} +${range(slice[0]!.newNo, newCount)} @@`);
    for (const l of slice) out.push(`${l.mark}${l.text}`);
  }
  return out.join('\n');
}
