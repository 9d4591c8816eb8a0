/**
 * The edit script between two sequences (longest common subsequence): used for lines of template text, for
 * the reading order of steps, and for finding steps that moved. Inputs here are small (template fields, a
 * workflow's steps), so a dynamic-programming table after trimming the common ends is plenty.
 */

export type Edit<T> = { op: 'equal'; a: T; b: T } | { op: 'delete'; a: T } | { op: 'insert'; b: T };

/** Past this many table cells, fall back to "delete all, insert all" rather than use unbounded memory. */
const MAX_CELLS = 4_000_000;

export function editScript<T>(a: readonly T[], b: readonly T[], same: (x: T, y: T) => boolean = Object.is): Edit<T>[] {
  let start = 0;
  while (start < a.length && start < b.length && same(a[start]!, b[start]!)) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && same(a[endA - 1]!, b[endB - 1]!)) {
    endA--;
    endB--;
  }
  const head: Edit<T>[] = a.slice(0, start).map((x, i) => ({ op: 'equal', a: x, b: b[i]! }));
  const tail: Edit<T>[] = a.slice(endA).map((x, i) => ({ op: 'equal', a: x, b: b[endB + i]! }));
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  return [...head, ...middle(midA, midB, same), ...tail];
}

function middle<T>(a: readonly T[], b: readonly T[], same: (x: T, y: T) => boolean): Edit<T>[] {
  const n = a.length;
  const m = b.length;
  if (n * m > MAX_CELLS || n === 0 || m === 0) {
    return [...a.map((x): Edit<T> => ({ op: 'delete', a: x })), ...b.map((y): Edit<T> => ({ op: 'insert', b: y }))];
  }
  // lengths[i][j]: LCS length of a[i..] and b[j..], in one flat array.
  const width = m + 1;
  const lengths = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lengths[i * width + j] = same(a[i]!, b[j]!)
        ? lengths[(i + 1) * width + j + 1]! + 1
        : Math.max(lengths[(i + 1) * width + j]!, lengths[i * width + j + 1]!);
    }
  }
  const out: Edit<T>[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (same(a[i]!, b[j]!)) out.push({ op: 'equal', a: a[i++]!, b: b[j++]! });
    // Deletions before insertions, as `diff` prints them.
    else if (lengths[(i + 1) * width + j]! >= lengths[i * width + j + 1]!) out.push({ op: 'delete', a: a[i++]! });
    else out.push({ op: 'insert', b: b[j++]! });
  }
  while (i < n) out.push({ op: 'delete', a: a[i++]! });
  while (j < m) out.push({ op: 'insert', b: b[j++]! });
  return out;
}
