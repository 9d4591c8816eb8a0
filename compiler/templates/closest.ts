/**
 * "Did you mean …?" for any identifier the compiler refuses: template variables, helper names, event,
 * template, step and provider ids.
 */

/**
 * Optimal-string-alignment Damerau-Levenshtein distance: insertions, deletions, substitutions and
 * transpositions of two adjacent characters each cost 1 (`frist` → `first` is 1, not 2).
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  // Three rolling rows: the transposition rule looks two rows back.
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      current[j] = d;
    }
    [before, previous, current] = [previous, current, before];
  }
  return previous[b.length]!;
}

/**
 * The candidate nearest to `word`, or undefined when none is close enough. Case is ignored for the
 * distance; the allowed distance grows with the word's length (1 edit up to 5 characters, then about one
 * edit per 3 characters, at most 4) so that short words do not match everything.
 *
 * @example
 * closest('frist_name', ['first_name', 'plan_type']) // 'first_name'
 * closest('zzz', ['first_name'])                     // undefined
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const target = word.toLowerCase();
  const limit = Math.min(4, Math.max(1, Math.floor(target.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    const d = editDistance(target, candidate.toLowerCase());
    // Ties keep the earlier candidate, so callers control precedence by order.
    if (d <= limit && d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}
