/**
 * Segment event names are written for people (`Trial Started`, Segment's own spec uses Object Action in
 * Title Case); Herald's bundle events are identifiers (`trial_started`). A track call's name is matched
 * exactly first, then as snake_case; a name the bundle knows in neither form is kept as sent (it is logged
 * and can still feed waits, like any unknown event on `POST /v1/events`).
 *
 * snakeCase is hand-written passes over the characters, not regexes: the name comes from anyone holding a
 * write key, and the regex form (`/([A-Z]+)([A-Z][a-z])/g`) backtracks quadratically on a run of capitals
 * (a 30,000-character name held the event loop for a second). The schema also caps names
 * (MAX_EVENT_NAME_LENGTH, limits.ts); this stays linear whatever it is given.
 */
import type { Bundle } from '../../compiler/bundle/schema.ts';

const isUpper = (ch: string | undefined) => ch !== undefined && ch >= 'A' && ch <= 'Z';
const isLower = (ch: string | undefined) => ch !== undefined && ch >= 'a' && ch <= 'z';
const isDigit = (ch: string | undefined) => ch !== undefined && ch >= '0' && ch <= '9';

/**
 * Word breaks before a capital: after a lower-case letter or a digit (`trialStarted` → `trial_Started`), and
 * before the last capital of an acronym followed by a lower-case letter (`HTTPRequest` → `HTTP_Request`).
 */
function splitWords(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]!;
    if (isUpper(ch)) {
      const before = name[i - 1];
      if (isLower(before) || isDigit(before) || (isUpper(before) && isLower(name[i + 1]))) out += '_';
    }
    out += ch;
  }
  return out;
}

/** Every run of characters other than `a-z0-9` becomes one `_`, none at either end. */
function joinWords(lower: string): string {
  let out = '';
  let pendingBreak = false;
  for (const ch of lower) {
    if (isLower(ch) || isDigit(ch)) {
      if (pendingBreak && out.length > 0) out += '_';
      pendingBreak = false;
      out += ch;
    } else {
      pendingBreak = true;
    }
  }
  return out;
}

/** `Trial Started`, `trialStarted`, `trial-started`, `Trial.Started ` → `trial_started`. */
export function snakeCase(name: string): string {
  // Lower-cased between the passes, as a whole: it may change a character's length (`İ`) or turn one into ASCII (`K`, the Kelvin sign).
  return joinWords(splitWords(name.trim()).toLowerCase());
}

/** The bundle event a Segment track name stands for: exact, then snake_case, else the name as sent. */
export function resolveEventName(bundle: Bundle, name: string): string {
  if (Object.hasOwn(bundle.events, name)) return name;
  const snake = snakeCase(name);
  return Object.hasOwn(bundle.events, snake) ? snake : name;
}
