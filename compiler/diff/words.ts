/** Small wording helpers for change summaries: inline code that survives any content, lists, before → after. */

/** `x` as inline code; a longer backtick fence when the text holds backticks itself. */
export function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = longest > 0 || text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

export function codeList(items: readonly string[], empty = 'none'): string {
  return items.length ? items.map(code).join(', ') : empty;
}

export function arrow(before: string, after: string): string {
  return `${before} → ${after}`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

const collator = new Intl.Collator('en', { numeric: true });

/**
 * The order ids are listed in: numbers inside ids counted as numbers (`flow-2` before `flow-10`), with a
 * code-point tie-break so the order never depends on the machine's locale data.
 */
export function byId(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}
