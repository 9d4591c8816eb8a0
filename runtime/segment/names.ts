/**
 * Segment event names are written for people (`Trial Started`, Segment's own spec uses Object Action in
 * Title Case); Herald's bundle events are identifiers (`trial_started`). A track call's name is matched
 * exactly first, then as snake_case; a name the bundle knows in neither form is kept as sent (it is logged
 * and can still feed waits, like any unknown event on `POST /v1/events`).
 */
import type { Bundle } from '../../compiler/bundle/schema.ts';

/** `Trial Started`, `trialStarted`, `trial-started`, `Trial.Started ` → `trial_started`. */
export function snakeCase(name: string): string {
  return name
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** The bundle event a Segment track name stands for: exact, then snake_case, else the name as sent. */
export function resolveEventName(bundle: Bundle, name: string): string {
  if (Object.hasOwn(bundle.events, name)) return name;
  const snake = snakeCase(name);
  return Object.hasOwn(bundle.events, snake) ? snake : name;
}
