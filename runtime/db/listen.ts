/**
 * A Postgres LISTEN that stays up: a connection of its own (LISTEN holds it, so it cannot come from the
 * pool), rebuilt with backoff (0.5 s doubling to 30 s) whenever it is lost. Each time LISTEN takes effect,
 * `onListening` runs: whatever was committed while nobody listened reached nobody, so callers catch up then.
 */
import pg from 'pg';

export interface ListenOptions {
  /** PostgreSQL itself, never a transaction pooler (it would hand the LISTEN's session to others): Database.directUrl ?? url. */
  url: string;
  channel: string;
  onNotify(payload: string | undefined): void;
  /** LISTEN took effect (first time or after a reconnect). */
  onListening(): void;
  /** A lost or failed connection (the listener retries by itself). */
  onError(error: unknown): void;
}

export interface Listener {
  /** Stops listening and releases the connection; idempotent. */
  close(): Promise<void>;
}

export function listen(options: ListenOptions): Listener {
  let current: pg.Client | null = null;
  let reconnect: NodeJS.Timeout | null = null;
  let failures = 0;
  let closed = false;

  const lost = (client: pg.Client, error: unknown) => {
    if (current !== client) return; // already handled ('error' and 'end' both fire), or closed on purpose
    current = null;
    client.end().catch(() => {});
    if (closed) return;
    if (error) options.onError(error);
    reconnect = setTimeout(connect, Math.min(30_000, 500 * 2 ** failures++));
    reconnect.unref();
  };

  async function connect(): Promise<void> {
    reconnect = null;
    if (closed) return;
    const client = new pg.Client({ connectionString: options.url, connectionTimeoutMillis: 3_000, keepAlive: true });
    current = client;
    client.on('notification', (message) => {
      if (message.channel === options.channel) options.onNotify(message.payload);
    });
    client.on('error', (error) => lost(client, error));
    client.on('end', () => lost(client, null));
    try {
      await client.connect();
      await client.query(`LISTEN ${options.channel}`);
      if (current !== client) return; // closed while connecting
      failures = 0;
      options.onListening();
    } catch (error) {
      lost(client, error);
    }
  }

  void connect();
  return {
    async close() {
      closed = true;
      if (reconnect) clearTimeout(reconnect);
      reconnect = null;
      const client = current;
      current = null;
      await client?.end().catch(() => {});
    },
  };
}
