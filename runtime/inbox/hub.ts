/**
 * The signals open inbox streams react to, shared by every stream of one process: one LISTEN connection on
 * `herald_inbox` (the trigger in db/migrate.ts notifies it with the user's id whenever that user's inbox
 * changes, whichever process or writer changed it) fanned out to that user's streams, and one clock.
 *
 * The connection exists only while a stream is open, so a runtime nobody streams from holds none, and
 * nothing is left behind when the last stream closes at shutdown. A lost connection is rebuilt with
 * backoff; each time LISTEN starts, every stream is woken to catch up on what it may have missed.
 */
import pg from 'pg';

export const INBOX_CHANNEL = 'herald_inbox';

export interface InboxSubscriber {
  /** The user's inbox may have changed (or a notification may have been missed): compare and send. */
  changed(): void;
  /** The shared clock, about once a second: keep-alives, presence, expiry. */
  tick(nowMs: number): void;
}

export interface InboxHub {
  /** Starts delivering to `subscriber`; the function returned stops it (idempotent). */
  subscribe(userId: string, subscriber: InboxSubscriber): () => void;
  /** Open subscriptions, for tests and diagnostics. */
  readonly size: number;
}

export interface HubOptions {
  /** Where to LISTEN: the runtime's database. */
  url: string;
  onError: (error: unknown) => void;
  tickMs?: number;
}

export function createInboxHub(options: HubOptions): InboxHub {
  const byUser = new Map<string, Set<InboxSubscriber>>();
  let size = 0;
  let clock: NodeJS.Timeout | null = null;

  const each = (fn: (s: InboxSubscriber) => void) => {
    for (const set of byUser.values()) for (const s of [...set]) safely(() => fn(s));
  };
  const safely = (fn: () => void) => {
    try {
      fn();
    } catch (error) {
      options.onError(error);
    }
  };

  // ── the listener: a connection of its own (LISTEN holds it), wanted while anyone subscribes ──
  let listener: pg.Client | null = null;
  let reconnect: NodeJS.Timeout | null = null;
  let failures = 0;

  const lost = (client: pg.Client, error: unknown) => {
    if (listener !== client) return; // already handled ('error' and 'end' both fire), or let go on purpose
    listener = null;
    client.end().catch(() => {});
    if (size === 0) return;
    if (error) options.onError(new Error(`inbox stream listener: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
    // Streams keep their 30 s catch-up meanwhile; reconnecting only restores live delivery.
    reconnect = setTimeout(listen, Math.min(30_000, 500 * 2 ** failures++));
    reconnect.unref();
  };

  async function listen(): Promise<void> {
    reconnect = null;
    if (size === 0 || listener) return;
    const client = new pg.Client({ connectionString: options.url, connectionTimeoutMillis: 3_000, keepAlive: true });
    listener = client;
    client.on('notification', (message) => {
      if (message.channel !== INBOX_CHANNEL || !message.payload) return;
      for (const s of [...(byUser.get(message.payload) ?? [])]) safely(() => s.changed());
    });
    client.on('error', (error) => lost(client, error));
    client.on('end', () => lost(client, null));
    try {
      await client.connect();
      await client.query(`LISTEN ${INBOX_CHANNEL}`);
      if (listener !== client) return; // everyone left while we connected
      failures = 0;
      // Whatever committed before LISTEN took effect reached nobody: every stream compares once now.
      each((s) => s.changed());
    } catch (error) {
      lost(client, error);
    }
  }

  function stopListening() {
    if (reconnect) clearTimeout(reconnect);
    reconnect = null;
    const client = listener;
    listener = null;
    client?.end().catch(() => {});
    failures = 0;
  }

  return {
    get size() {
      return size;
    },
    subscribe(userId, subscriber) {
      let set = byUser.get(userId);
      if (!set) byUser.set(userId, (set = new Set()));
      set.add(subscriber);
      size++;
      if (size === 1) {
        void listen();
        clock = setInterval(() => each((s) => s.tick(Date.now())), options.tickMs ?? 1_000);
        clock.unref();
      }
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        set.delete(subscriber);
        if (set.size === 0 && byUser.get(userId) === set) byUser.delete(userId);
        size--;
        if (size === 0) {
          if (clock) clearInterval(clock);
          clock = null;
          stopListening();
        }
      };
    },
  };
}
