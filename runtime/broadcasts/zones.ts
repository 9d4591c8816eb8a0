/**
 * A recipient source narrowed to the members whose local time at one instant a cron names, each on their
 * profile's zone (no profile, no zone, or one Intl does not know: UTC, the engine's default). Pages are read from
 * the source and filtered here, read on until the page is full or the source ends, so a short page still means
 * the end (the fan-out's rule) and the cursor stays a member id of the source.
 */
import { cronMatchesAt, parseCron, type Cron } from '../../compiler/bundle/cron.ts';
import { isValidTimeZone } from '../../compiler/bundle/zone.ts';
import { rows, type SqlClient, type Statement } from '../db/sql-client.ts';

interface Reader {
  page(tx: SqlClient, after: string | null, limit: number): Promise<string[]>;
  count(tx: SqlClient): Promise<number>;
}

export interface LocalTime {
  cron: string;
  /** Epoch ms of the tick. */
  at: number;
}

/** The zone of each of `ids` (null: no profile or none set), in the order given. */
const zonesOf = (ids: string[]): Statement => ({
  text: `SELECT i.id, u.timezone FROM unnest($1::text[]) WITH ORDINALITY AS i(id, n) LEFT JOIN herald.users u ON u.id = i.id ORDER BY i.n`,
  values: [ids],
});

/** How many source ids one page reads at most while looking for members whose time it is. */
const SCAN = 2_000;

export function inZones(base: Reader, local: LocalTime): Reader {
  const cron: Cron = parseCron(local.cron);
  // Many members share a zone: each zone is asked once per page.
  const due = new Map<string, boolean>();
  const isDue = (zone: string | null) => {
    const name = zone && isValidTimeZone(zone) ? zone : 'UTC';
    let verdict = due.get(name);
    if (verdict === undefined) due.set(name, (verdict = cronMatchesAt(cron, local.at, name)));
    return verdict;
  };
  const keep = async (tx: SqlClient, ids: string[]) =>
    (await rows<{ id: string; timezone: string | null }>(tx, zonesOf(ids))).filter((r) => isDue(r.timezone)).map((r) => r.id);
  return {
    page: async (tx, after, limit) => {
      const kept: string[] = [];
      let cursor = after;
      for (;;) {
        const ids = await base.page(tx, cursor, SCAN);
        if (ids.length === 0) return kept;
        for (const id of await keep(tx, ids)) {
          kept.push(id);
          if (kept.length === limit) return kept;
        }
        if (ids.length < SCAN) return kept;
        cursor = ids.at(-1)!;
      }
    },
    // Counted by reading: whose time it is is known only by looking at each member's zone.
    count: async (tx) => {
      let n = 0;
      let after: string | null = null;
      for (;;) {
        const ids = await base.page(tx, after, SCAN);
        if (ids.length === 0) return n;
        n += (await keep(tx, ids)).length;
        if (ids.length < SCAN) return n;
        after = ids.at(-1)!;
      }
    },
  };
}
