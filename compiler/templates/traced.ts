/**
 * A string assembled from pieces of several sources (a template field, a layout, partials) that remembers where
 * each piece came from, so that a problem found in the assembled string is reported in the literal that wrote it.
 */

/** A string literal of the notifications: which definition wrote it, at which field, and its whole text. */
export interface TextSource {
  kind: 'template' | 'layout' | 'partial';
  id: string;
  /** The field inside the builder call's options, for the locator: `['email', 'html']`, `['locales', 'fr', 'sms', 'body']`. */
  path: readonly string[];
  text: string;
}

/** A run of the assembled string copied from `source`, starting at `offset` in the source's text. */
export interface Piece {
  text: string;
  source: TextSource;
  offset: number;
}

export type Traced = readonly Piece[];

export const tracedOf = (source: TextSource): Traced => (source.text === '' ? [] : [{ text: source.text, source, offset: 0 }]);

export const textOf = (traced: Traced): string => traced.map((p) => p.text).join('');

/** `traced` with its characters [start, end) replaced by `insert`. */
export function splice(traced: Traced, start: number, end: number, insert: Traced): Traced {
  const out: Piece[] = [];
  let at = 0;
  let inserted = false;
  const put = () => {
    if (!inserted) out.push(...insert);
    inserted = true;
  };
  for (const piece of traced) {
    const from = at;
    const to = at + piece.text.length;
    at = to;
    if (to <= start) {
      out.push(piece);
      continue;
    }
    if (from >= end) {
      put();
      out.push(piece);
      continue;
    }
    if (from < start) out.push({ ...piece, text: piece.text.slice(0, start - from) });
    put();
    if (to > end) out.push({ text: piece.text.slice(end - from), source: piece.source, offset: piece.offset + (end - from) });
  }
  put();
  return out;
}

export interface Origin {
  source: TextSource;
  /** 1-based, within the source's text. */
  line: number;
  column: number;
}

/** The source, line and column that wrote the character at (line, column) of the assembled string. */
export function originAt(traced: Traced, line: number, column: number): Origin | undefined {
  const text = textOf(traced);
  let index = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf('\n', index);
    if (next < 0) break;
    index = next + 1;
  }
  return originOfIndex(traced, Math.min(index + column - 1, Math.max(text.length - 1, 0)));
}

/** The source, line and column that wrote character `index` of the assembled string (its end: the last piece's end). */
export function originOfIndex(traced: Traced, index: number): Origin | undefined {
  let at = 0;
  for (const piece of traced) {
    if (index < at + piece.text.length) return { source: piece.source, ...lineColumn(piece.source.text, piece.offset + (index - at)) };
    at += piece.text.length;
  }
  const last = traced[traced.length - 1];
  return last ? { source: last.source, ...lineColumn(last.source.text, last.offset + last.text.length) } : undefined;
}

/** The 1-based line and column of `offset` in `text`. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}
