/**
 * An audience condition → one WHERE clause over `herald.users u`, with every value a parameter (never spliced
 * into the text). Same meaning as `compiler/bundle/audience-match.ts`; the forms are chosen for the indexes of
 * migration 0008: trait equality and list-contains as `traits @> $n::jsonb` (GIN, jsonb_path_ops), prefixes as
 * `LIKE $n` on an escaped prefix (text_pattern_ops), activity and dates as ranges on their columns, preferences
 * and list memberships as EXISTS on their primary keys.
 *
 * Every leaf is written so it is never NULL (`x IS NOT NULL AND …`, CASE … ELSE false): with SQL's three-valued
 * logic a NULL under `NOT` would drop a row that the in-memory meaning keeps.
 */
import type { AudienceComparison, AudienceCondition, AudienceScalar } from '../../compiler/bundle/audience.ts';
import { isDateField, isTextField } from '../../compiler/bundle/audience.ts';
import type { Statement } from '../db/sql-client.ts';

export interface AudienceQueryOptions {
  /** The instant `activeWithin` is measured from (default: now). */
  now?: Date;
}

type Comparison = AudienceComparison & { name: string };
const ORDER = { gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

/** Collects parameters; `add` returns the placeholder to write. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown, type: string): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }
}

/** `LIKE` pattern matching strings that start with `prefix` (backslash, `%` and `_` escaped: `\` is LIKE's default escape). */
export const likePrefix = (prefix: string): string => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function traitSql(c: Comparison, p: Params): string {
  const name = p.add(c.name, 'text');
  // Present and not JSON null: the only state in which a comparison can be true. `type` is NULL when absent,
  // hence IS [NOT] DISTINCT FROM wherever it could otherwise make the leaf NULL.
  const type = `jsonb_typeof(u.traits -> ${name})`;
  const present = `(${type} IS NOT NULL AND ${type} <> 'null')`;
  // Containment of {name: v}: exactly equality for a scalar v (a scalar never contains, nor is contained by, anything else).
  const equals = (v: AudienceScalar) => `(u.traits @> ${p.add(JSON.stringify({ [c.name]: v }), 'jsonb')} AND ${type} IS DISTINCT FROM 'array')`;
  switch (c.cmp) {
    case 'exists':
      return present;
    case 'eq':
      return equals(c.value);
    case 'ne':
      return `(${present} AND NOT ${equals(c.value)})`;
    case 'in':
      return `(${c.value.map(equals).join(' OR ')})`;
    case 'contains':
      return `(u.traits @> ${p.add(JSON.stringify({ [c.name]: [c.value] }), 'jsonb')} AND ${type} IS NOT DISTINCT FROM 'array')`;
    case 'startsWith':
      return `(${type} IS NOT DISTINCT FROM 'string' AND (u.traits ->> ${name}) LIKE ${p.add(likePrefix(c.value), 'text')})`;
    default: {
      if (typeof c.value !== 'number') return 'false';
      // CASE, not AND: the cast must only ever see a number (AND gives no order of evaluation).
      return `(CASE WHEN ${type} = 'number' THEN (u.traits -> ${name})::numeric ${ORDER[c.cmp]} ${p.add(String(c.value), 'numeric')} ELSE false END)`;
    }
  }
}

function textFieldSql(column: string, c: Comparison, p: Params): string {
  const col = `u.${column}`;
  switch (c.cmp) {
    case 'exists':
      return `(${col} IS NOT NULL)`;
    case 'eq':
      return typeof c.value === 'string' ? `(${col} IS NOT NULL AND ${col} = ${p.add(c.value, 'text')})` : 'false';
    case 'ne':
      return typeof c.value === 'string' ? `(${col} IS NOT NULL AND ${col} <> ${p.add(c.value, 'text')})` : 'false';
    case 'in': {
      const strings = c.value.filter((v): v is string => typeof v === 'string');
      return strings.length ? `(${col} IS NOT NULL AND ${col} = ANY(${p.add(strings, 'text[]')}))` : 'false';
    }
    case 'startsWith':
      return `(${col} IS NOT NULL AND ${col} LIKE ${p.add(likePrefix(c.value), 'text')})`;
    default:
      return 'false';
  }
}

function dateFieldSql(column: string, c: Comparison, p: Params): string {
  const col = `u.${column}`;
  if (c.cmp === 'exists') return `(${col} IS NOT NULL)`;
  if ((c.cmp === 'gt' || c.cmp === 'gte' || c.cmp === 'lt' || c.cmp === 'lte') && typeof c.value === 'string') {
    return `(${col} IS NOT NULL AND ${col} ${ORDER[c.cmp]} ${p.add(new Date(Date.parse(c.value)), 'timestamptz')})`;
  }
  return 'false';
}

function conditionSql(cond: AudienceCondition, p: Params, now: Date): string {
  switch (cond.op) {
    case 'and':
      return cond.all.length ? `(${cond.all.map((c) => conditionSql(c, p, now)).join(' AND ')})` : 'true';
    case 'or':
      return cond.any.length ? `(${cond.any.map((c) => conditionSql(c, p, now)).join(' OR ')})` : 'false';
    case 'not':
      return `(NOT ${conditionSql(cond.cond, p, now)})`;
    case 'trait':
      return traitSql(cond, p);
    case 'field':
      if (isTextField(cond.name)) return textFieldSql(cond.name, cond, p);
      if (isDateField(cond.name)) return dateFieldSql(cond.name, cond, p);
      return 'false';
    case 'preference': {
      const channel = cond.channel === undefined ? '' : ` AND pr.channel = ${p.add(cond.channel, 'text')}`;
      return `EXISTS (SELECT 1 FROM herald.preferences pr WHERE pr.user_id = u.id AND pr.category = ${p.add(cond.category, 'text')}${channel} AND pr.allowed = ${p.add(cond.allowed, 'boolean')})`;
    }
    case 'inList':
      return `EXISTS (SELECT 1 FROM herald.list_members lm WHERE lm.list_id = ${p.add(cond.list, 'text')} AND lm.user_id = u.id)`;
    case 'activeWithin':
      return `(u.last_active_at IS NOT NULL AND u.last_active_at >= ${p.add(new Date(now.getTime() - cond.durationMs), 'timestamptz')})`;
  }
}

/** The condition as a WHERE clause over `herald.users u`, and its parameters (numbered from $1). */
export function audienceWhere(condition: AudienceCondition, options: AudienceQueryOptions = {}): Statement {
  const params = new Params();
  const text = conditionSql(condition, params, options.now ?? new Date());
  return { text, values: params.values };
}

/**
 * Matching ids in text order (COLLATE "C", as the fan-out's cursor compares them) strictly after `after`.
 * The ORDER BY matches the index users_id_c, so a page reads from the cursor on rather than sorting every match.
 */
export function memberPageStatement(condition: AudienceCondition, after: string | null, limit: number, options: AudienceQueryOptions = {}): Statement {
  const where = audienceWhere(condition, options);
  const values = [...where.values];
  const cursor = after === null ? '' : ` AND u.id COLLATE "C" > $${values.push(after)}::text COLLATE "C"`;
  values.push(limit);
  return {
    text: `SELECT u.id FROM herald.users u WHERE ${where.text}${cursor} ORDER BY u.id COLLATE "C" LIMIT $${values.length}::int`,
    values,
  };
}

export function countStatement(condition: AudienceCondition, options: AudienceQueryOptions = {}): Statement {
  const where = audienceWhere(condition, options);
  return { text: `SELECT count(*)::bigint AS n FROM herald.users u WHERE ${where.text}`, values: where.values };
}

export function sampleStatement(condition: AudienceCondition, n: number, options: AudienceQueryOptions = {}): Statement {
  const where = audienceWhere(condition, options);
  const values = [...where.values, n];
  return {
    text: `SELECT u.id, u.email FROM herald.users u WHERE ${where.text} ORDER BY u.id COLLATE "C" LIMIT $${values.length}::int`,
    values,
  };
}
