/**
 * List ids and list patterns. An id is the caller's own name for a group (`project:123:watchers`,
 * `teams.acme.admins`); a pattern (`teams.acme.*`) names every list under a prefix, as Courier's list patterns do.
 * Both are checked here, where they come in, so a bad one is a 400 naming the rule rather than a list no one
 * can address.
 *
 * Segments are separated by `.`; `:` and the other allowed characters are part of a segment. In a pattern, `*`
 * stands for a whole segment: in the middle it matches exactly one segment, at the end one or more
 * (`a.b.*` matches `a.b.c` and `a.b.c.d`, not `a.b`). A pattern starts with at least one literal segment, so it
 * always reads a range of lists, never every list.
 */
export const MAX_LIST_ID_LENGTH = 255;
const LIST_ID = /^[A-Za-z0-9_:@+-]+(\.[A-Za-z0-9_:@+-]+)*$/;
const SEGMENT = /^[A-Za-z0-9_:@+-]+$/;

/** Why `id` cannot be a list id, or null when it can. */
export function listIdProblem(id: string): string | null {
  if (id.length === 0) return 'a list id is empty';
  if (id.length > MAX_LIST_ID_LENGTH) return `a list id is at most ${MAX_LIST_ID_LENGTH} characters (this one is ${id.length})`;
  if (id.includes('*')) return `"${id}" has a "*": that makes it a list pattern (send to it with listPattern), not a list id`;
  if (!LIST_ID.test(id))
    return `"${id}" is not a list id: use letters, digits and _ : @ + -, in segments separated by single dots (e.g. project:123:watchers, teams.acme.admins)`;
  return null;
}

export interface ListPattern {
  /** The literal text every matching id starts with (up to the first `*`): the range of lists read. */
  prefix: string;
  /** A POSIX regular expression (PostgreSQL's `~`) an id must match as a whole. */
  regex: string;
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The pattern parsed, or why it is not one. */
export function parseListPattern(pattern: string): ListPattern | { problem: string } {
  if (pattern.length === 0 || pattern.length > MAX_LIST_ID_LENGTH) return { problem: `a list pattern is 1–${MAX_LIST_ID_LENGTH} characters` };
  const segments = pattern.split('.');
  if (!segments.includes('*')) return { problem: `"${pattern}" has no "*" segment: send to one list with list (or list_id) instead` };
  if (segments[0] === '*') return { problem: `"${pattern}" starts with "*": a pattern starts with a literal segment (e.g. teams.*)` };
  const bad = segments.find((s) => s !== '*' && !SEGMENT.test(s));
  if (bad !== undefined) return { problem: `"${pattern}": the segment "${bad}" is not allowed; a segment is letters, digits and _ : @ + -, or a whole "*"` };
  const first = segments.indexOf('*');
  const prefix = `${segments.slice(0, first).join('.')}.`;
  const last = segments.length - 1;
  const parts = segments.map((s, i) => (s !== '*' ? escapeRegex(s) : i === last ? '[^.]+(\\.[^.]+)*' : '[^.]+'));
  return { prefix, regex: `^${parts.join('\\.')}$` };
}

/** Whether `id` matches `pattern` (the same rule as the SQL, for tests and single checks). */
export function matchesPattern(pattern: ListPattern, id: string): boolean {
  return id.startsWith(pattern.prefix) && new RegExp(pattern.regex).test(id);
}
