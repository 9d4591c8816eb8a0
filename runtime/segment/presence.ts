/**
 * Which Segment calls say the user is in the app now (`last_active_at`, read by `s.user.activeWithin(…)`).
 * A call from a page or a device is the person; a call from a server is the product acting on their behalf — a
 * signup handler's identify, a nightly sync, a billing job's track — and says nothing about where the person
 * is. Counting those made a server-side identify look like "active in the app", and a nudge meant for someone
 * away went to the in-app inbox instead of their phone.
 *
 * | call | presence |
 * | --- | --- |
 * | page, screen | yes, whatever sent it (a page or a screen was viewed) |
 * | from a browser or mobile library (`context.library.name`: analytics.js, analytics-ios, …) | yes |
 * | from a server library (analytics-node, analytics-python, …) | no |
 * | no known library: with page, device, OS, app, screen or user-agent context | yes |
 * | no known library and none of that context (raw HTTP from a backend) | no |
 *
 * A `context.device` holding only a push `token` is not device context: apps register tokens from their server.
 */
import type { SegmentEvent } from './schema.ts';

/** Segment's server libraries, by `context.library.name` (lower case, without the `@segment/` scope). */
const SERVER_LIBRARIES = new Set([
  'analytics-node',
  'analytics-python',
  'analytics-ruby',
  'analytics-go',
  'analytics-java',
  'analytics-php',
  'analytics.net',
  'analytics-dotnet',
  'analytics-clojure',
]);

/** Segment's browser and mobile libraries. */
const CLIENT_LIBRARIES = new Set([
  'analytics.js',
  'analytics-next',
  'analytics-ios',
  'analytics-android',
  'analytics-react-native',
  'analytics-kotlin',
  'analytics-swift',
  'analytics-flutter',
  'analytics_flutter',
]);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function libraryOf(context: Record<string, unknown>): string | null {
  const library = context.library;
  const name = isObject(library) ? library.name : undefined;
  return typeof name === 'string'
    ? name
        .trim()
        .toLowerCase()
        .replace(/^@segment\//, '')
    : null;
}

/** Context only a page or a device fills in. */
function hasClientContext(context: Record<string, unknown>): boolean {
  if (typeof context.userAgent === 'string' && context.userAgent !== '') return true;
  if (['page', 'os', 'app', 'screen'].some((field) => isObject(context[field]))) return true;
  const device = context.device;
  return isObject(device) && Object.keys(device).some((field) => field !== 'token');
}

export function countsAsPresence(event: SegmentEvent): boolean {
  if (event.type === 'page' || event.type === 'screen') return true;
  const context: Record<string, unknown> = isObject(event.context) ? event.context : {};
  const library = libraryOf(context);
  if (library !== null && SERVER_LIBRARIES.has(library)) return false;
  if (library !== null && CLIENT_LIBRARIES.has(library)) return true;
  return hasClientContext(context);
}
