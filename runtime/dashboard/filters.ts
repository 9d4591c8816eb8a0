/**
 * The message list's query string: filters, time range, page size and keyset cursor, parsed with zod into the
 * filter sql.ts understands, and written back into links (next page, status counts) that keep the rest.
 */
import { z } from 'zod';
import { channelSchema } from '../../compiler/bundle/schema.ts';
import type { DashboardKeyset, DashboardMessageFilter } from '../db/sql.ts';

/** Every status a message row can hold (status/status.ts ranks, plus `skipped`), in lifecycle order. */
export const MESSAGE_STATUSES = ['queued', 'sent', 'delivered', 'seen', 'read', 'opened', 'clicked', 'bounced', 'failed', 'undeliverable', 'skipped'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export const RANGES = { '15m': 15 * 60_000, '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
export const RANGE_LABELS: Record<keyof typeof RANGES | 'all', string> = {
  all: 'Any time',
  '15m': 'Last 15 minutes',
  '1h': 'Last hour',
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
};

export const PAGE_SIZE = 50;

// An empty form field means "no filter", not "match the empty string".
const blank = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const text = z.preprocess(blank, z.string().trim().max(200).optional());
/** `<input type="datetime-local">` sends `2024-05-01T10:00` with no zone: the form labels it UTC. */
const utcTime = z.preprocess(
  blank,
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?Z?$/, 'a time like 2024-05-01T10:00 (UTC)')
    .transform((v) => new Date(v.endsWith('Z') ? v : `${v}Z`))
    .refine((d) => !Number.isNaN(d.getTime()), 'not a real date')
    .optional(),
);

export const messageQuerySchema = z.object({
  user: text,
  tenant: text,
  workflow: text,
  provider: text,
  channel: z.preprocess(blank, channelSchema.optional()),
  status: z.preprocess(blank, z.enum(MESSAGE_STATUSES).optional()),
  /** Absent: see defaultRange. */
  range: z.preprocess(blank, z.enum(['all', '15m', '1h', '24h', '7d', '30d']).optional()),
  from: utcTime,
  to: utcTime,
  cursor: z.preprocess(blank, z.string().max(300).optional()),
  limit: z.preprocess(blank, z.coerce.number().int().min(1).max(200).default(PAGE_SIZE)),
});
export type MessageQuery = z.infer<typeof messageQuerySchema>;

const KEYSET_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function encodeCursor(keyset: DashboardKeyset): string {
  return Buffer.from(`${keyset.at}|${keyset.id}`).toString('base64url');
}

/** The cursor's keyset, or null when it is not one we issued. */
export function decodeCursor(cursor: string): DashboardKeyset | null {
  const [at, id, ...rest] = Buffer.from(cursor, 'base64url').toString().split('|');
  if (rest.length || !at || !id || !KEYSET_TIME.test(at) || !z.uuid().safeParse(id).success) return null;
  return { at, id };
}

export type Range = NonNullable<MessageQuery['range']>;

/**
 * The range when the query names none: the last 24 hours, so the list and its counts read one or two of the
 * log's daily partitions however long the retention; any time when the query has its own bounds or names a
 * user (one user's messages are one index range at any age).
 */
export function rangeOf(q: MessageQuery): Range {
  if (q.range !== undefined) return q.range;
  return q.from !== undefined || q.to !== undefined || q.user !== undefined ? 'all' : '24h';
}

/** The filter for sql.ts: the range preset and the custom bounds together (the narrower wins). */
export function toFilter(q: MessageQuery, now: number): DashboardMessageFilter {
  const range = rangeOf(q);
  const since = range === 'all' ? undefined : new Date(now - RANGES[range]);
  const from = since && q.from ? new Date(Math.max(since.getTime(), q.from.getTime())) : (since ?? q.from);
  return {
    ...(q.user === undefined ? {} : { user: q.user }),
    ...(q.tenant === undefined ? {} : { tenant: q.tenant }),
    ...(q.workflow === undefined ? {} : { workflow: q.workflow }),
    ...(q.channel === undefined ? {} : { channel: q.channel }),
    ...(q.provider === undefined ? {} : { provider: q.provider }),
    ...(q.status === undefined ? {} : { status: q.status }),
    ...(from === undefined ? {} : { from }),
    ...(q.to === undefined ? {} : { to: q.to }),
  };
}

/** `2024-05-01T10:00:00` for a datetime-local input (UTC). */
export const inputTime = (d: Date | undefined) => (d ? d.toISOString().slice(0, 19) : '');

/** The query string of `q` with `changes` applied; defaults and empty values are left out. */
export function queryString(q: MessageQuery, changes: Partial<Record<keyof MessageQuery, string | number | undefined>> = {}): string {
  const params = new URLSearchParams();
  const values: Record<string, string | number | undefined> = {
    user: q.user,
    tenant: q.tenant,
    workflow: q.workflow,
    channel: q.channel,
    provider: q.provider,
    status: q.status,
    range: q.range,
    from: q.from ? inputTime(q.from) : undefined,
    to: q.to ? inputTime(q.to) : undefined,
    limit: q.limit === PAGE_SIZE ? undefined : q.limit,
    ...changes,
  };
  for (const [key, value] of Object.entries(values)) if (value !== undefined && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}
