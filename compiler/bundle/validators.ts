/**
 * Validates event data against the event's JSON Schema from the bundle, with zod (`z.fromJSONSchema`), so
 * one library checks data at build time and at the door. Validators are cached per bundle version.
 */
import { z } from 'zod';
import type { Bundle } from './schema.ts';

const cache = new Map<string, z.ZodType>();

export function eventValidator(bundle: Bundle, event: string): z.ZodType | null {
  const def = bundle.events[event];
  if (!def) return null;
  const key = `${bundle.version}\0${event}`;
  let validator = cache.get(key);
  if (!validator) {
    validator = z.fromJSONSchema(def.schema as Parameters<typeof z.fromJSONSchema>[0]);
    cache.set(key, validator);
  }
  return validator;
}

const responseValidators = new WeakMap<object, z.ZodType>();

/** The validator of a fetch step's answer (its `response` JSON Schema), cached per loaded schema object. */
export function responseValidator(response: Record<string, unknown>): z.ZodType {
  let validator = responseValidators.get(response);
  if (!validator) {
    validator = z.fromJSONSchema(response as Parameters<typeof z.fromJSONSchema>[0]);
    responseValidators.set(response, validator);
  }
  return validator;
}
