/**
 * The recorded events a replay runs: the NDJSON that `GET /v1/events/export` streams, one event per line.
 * A malformed line is an error naming its line number, never skipped: a replay that silently drops events
 * would report changes that are not there.
 */
import { z } from 'zod';
import type { JsonValue } from '../bundle/schema.ts';

const lineSchema = z.object({
  event: z.string().min(1),
  userId: z.string().nullable(),
  properties: z.record(z.string(), z.json()),
  messageId: z.string().nullable().optional(),
  receivedAt: z.iso.datetime({ offset: true }),
});

export interface RecordedEvent {
  /** 1-based line in the file: identifies the event in reports (message ids may be missing). */
  line: number;
  event: string;
  userId: string | null;
  properties: Record<string, JsonValue>;
  messageId: string | null;
  receivedAt: string;
  /** `receivedAt` as epoch ms: the virtual time at which the replay feeds the event. */
  at: number;
}

export class EventLogError extends Error {
  override name = 'EventLogError';
}

/** Parses an export; events come back oldest first (the file's order breaks ties). */
export function parseEventLog(text: string, source: string): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (error) {
      throw new EventLogError(`${source}:${i + 1}: not JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    const parsed = lineSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new EventLogError(
        `${source}:${i + 1}: ${issue?.path.join('.') || '(line)'}: ${issue?.message ?? 'invalid'} (expected { event, userId, properties, messageId, receivedAt })`,
      );
    }
    const e = parsed.data;
    events.push({
      line: i + 1,
      event: e.event,
      userId: e.userId,
      properties: e.properties as Record<string, JsonValue>,
      messageId: e.messageId ?? null,
      receivedAt: e.receivedAt,
      at: Date.parse(e.receivedAt),
    });
  }
  return events.sort((a, b) => a.at - b.at || a.line - b.line);
}
