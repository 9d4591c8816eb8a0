/**
 * The signals open inbox streams react to, shared by every stream of one process: one LISTEN connection on
 * `herald_inbox` (the trigger in db/migrate.ts notifies it with the user's id whenever that user's inbox
 * changes, whichever process or writer changed it) fanned out to that user's streams, and one clock.
 *
 * The connection exists only while a stream is open, so a runtime nobody streams from holds none, and
 * nothing is left behind when the last stream closes at shutdown. A lost connection is rebuilt with
 * backoff; each time LISTEN starts, every stream is woken to catch up on what it may have missed.
 */
import { listen, type Listener } from '../db/listen.ts';

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
  /** Where to LISTEN: the runtime's database, straight (DATABASE_DIRECT_URL) when DATABASE_URL is a pooler. */
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

  // ── the listener (db/listen.ts), wanted while anyone subscribes ──
  let listener: Listener | null = null;
  const startListening = () => {
    listener = listen({
      url: options.url,
      channel: INBOX_CHANNEL,
      onNotify: (userId) => {
        if (userId) for (const s of [...(byUser.get(userId) ?? [])]) safely(() => s.changed());
      },
      // Whatever committed before LISTEN took effect reached nobody: every stream compares once now.
      onListening: () => each((s) => s.changed()),
      // Streams keep their 30 s catch-up meanwhile; reconnecting only restores live delivery.
      onError: (error) => options.onError(new Error(`inbox stream listener: ${error instanceof Error ? error.message : String(error)}`, { cause: error })),
    });
  };
  const stopListening = () => {
    void listener?.close();
    listener = null;
  };

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
        startListening();
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
