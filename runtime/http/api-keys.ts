/**
 * API keys: several at once (so a key can be rotated without downtime), each with a name that is recorded on
 * what it did, and a scope that bounds what it may do.
 *
 * - `admin`: everything.
 * - `trigger`: what an application server needs — events, workflow triggers, Courier's send, users'
 *   profiles and preferences.
 * - `read`: the message log, runs, exports, metrics.
 *
 * `HERALD_API_KEY` is one admin key named `default`; `HERALD_API_KEYS` adds `name:scope:key` entries,
 * comma-separated (a scope may join several with `+`: `ci:trigger+read:…`).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export const API_SCOPES = ['admin', 'trigger', 'read'] as const;
export const apiScopeSchema = z.enum(API_SCOPES);
export type ApiScope = z.infer<typeof apiScopeSchema>;

export interface ApiKey {
  /** Recorded on what the key did (the audit log); never the secret. */
  name: string;
  scopes: ReadonlySet<ApiScope>;
  secret: string;
}

/** Shorter keys are refused outside development: a key is the whole of the API's protection. */
export const MIN_SECRET_LENGTH = 32;

/**
 * A secret is visible ASCII only: a key of spaces, or one a proxy could re-encode, is a mistake, and an empty
 * key once let a bearer of a non-breaking space in (the header's `\s+` ate it).
 */
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;
const KEY_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export class ApiKeyConfigError extends Error {}

/** Why `secret` (from `variable`) cannot be a key or secret, or null when it can. */
export function secretProblem(variable: string, secret: string, minLength: number): string | null {
  if (secret.length === 0) return `${variable} is empty: set it to a random value of at least ${minLength} characters (e.g. \`openssl rand -hex 32\`)`;
  if (!VISIBLE_ASCII.test(secret))
    return `${variable} has spaces or characters outside visible ASCII: use letters, digits and punctuation only (e.g. \`openssl rand -hex 32\`)`;
  if (secret.length < minLength) return `${variable} is ${secret.length} characters: use at least ${minLength} (e.g. \`openssl rand -hex 32\`)`;
  return null;
}

function scopesOf(text: string, where: string): Set<ApiScope> {
  const scopes = new Set<ApiScope>();
  for (const part of text.split('+')) {
    const parsed = apiScopeSchema.safeParse(part.trim());
    if (!parsed.success) throw new ApiKeyConfigError(`${where}: unknown scope "${part}" (use admin, trigger or read; join several with +)`);
    scopes.add(parsed.data);
  }
  return scopes;
}

/**
 * The keys from `HERALD_API_KEY` (admin, named `default`) and `HERALD_API_KEYS` (`name:scope:key,…`).
 * Each secret must pass `secretProblem` with `minLength` (1 in development, MIN_SECRET_LENGTH elsewhere).
 */
export function parseApiKeys(single: string | undefined, list: string | undefined, minLength: number): ApiKey[] {
  const keys: ApiKey[] = [];
  const add = (key: ApiKey, variable: string) => {
    const problem = secretProblem(variable, key.secret, minLength);
    if (problem) throw new ApiKeyConfigError(problem);
    if (keys.some((k) => k.name === key.name)) throw new ApiKeyConfigError(`${variable}: the key name "${key.name}" is used twice; give each key its own name`);
    if (keys.some((k) => k.secret === key.secret))
      throw new ApiKeyConfigError(
        `${variable}: key "${key.name}" has the same secret as "${keys.find((k) => k.secret === key.secret)!.name}"; give each key its own secret`,
      );
    keys.push(key);
  };
  if (single !== undefined) add({ name: 'default', scopes: new Set(['admin']), secret: single }, 'HERALD_API_KEY');
  const entries = (list ?? '').split(',').filter((e) => e.trim() !== '');
  entries.forEach((entry, index) => {
    const where = `HERALD_API_KEYS entry ${index + 1}`;
    const first = entry.indexOf(':');
    const second = first === -1 ? -1 : entry.indexOf(':', first + 1);
    if (second === -1) throw new ApiKeyConfigError(`${where}: expected name:scope:key (e.g. app-server:trigger:<secret>)`);
    const name = entry.slice(0, first).trim();
    if (!KEY_NAME.test(name)) throw new ApiKeyConfigError(`${where}: the name "${name}" must be 1–64 letters, digits, '.', '_' or '-'`);
    add({ name, scopes: scopesOf(entry.slice(first + 1, second), `${where} (${name})`), secret: entry.slice(second + 1).trim() }, `${where} (${name})`);
  });
  return keys;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Two secrets compared in constant time whatever their lengths: both are hashed to the same size first. */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}
/** Each key's digest, computed once: a request then hashes only its own token (the trigger path's cost). */
const digests = new WeakMap<ApiKey, Buffer>();
const digestOf = (key: ApiKey) => digests.get(key) ?? digests.set(key, digest(key.secret)).get(key)!;

/**
 * The key a bearer token is, or null. Digests of equal size are compared in constant time whatever the
 * lengths, and every key is compared, so the time taken does not say which matched.
 */
export function findKey(keys: readonly ApiKey[], token: string): ApiKey | null {
  const given = digest(token);
  let found: ApiKey | null = null;
  for (const key of keys) if (timingSafeEqual(digestOf(key), given) && found === null) found = key;
  return found;
}

/** The token of `Authorization: Bearer <token>` (one token of visible ASCII), or null. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer ([\x21-\x7e]+)$/i.exec(header?.trim() ?? '');
  return match ? match[1]! : null;
}

/** Admin may do everything; the other scopes only what they name. */
export function allows(key: ApiKey, scope: ApiScope): boolean {
  return key.scopes.has('admin') || key.scopes.has(scope);
}
