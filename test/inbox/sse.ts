/** A minimal Server-Sent Events reader for tests: fetch the stream, parse events, wait for one. */

export interface SseEvent {
  event: string;
  data: unknown;
}

export interface SseStream {
  status: number;
  /** Every event received so far, in order. */
  events: SseEvent[];
  /** The first event (received already or later) named `event` that satisfies `match`. */
  next<T = Record<string, unknown>>(event: string, match?: (data: T) => boolean, timeoutMs?: number): Promise<T>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  let done = false;
  const ended = (async () => {
    if (!response.body || response.status !== 200) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length) {
            events.push({ event, data: JSON.parse(data.join('\n')) as unknown });
            notify();
          }
        }
      }
    } catch {
      // aborted by close()
    } finally {
      done = true;
      notify();
    }
  })();

  return {
    status: response.status,
    events,
    ended,
    close: () => abort.abort(),
    next<T>(event: string, match: (data: T) => boolean = () => true, timeoutMs = 15_000) {
      return new Promise<T>((resolve, reject) => {
        const check = () => {
          const found = events.find((e) => e.event === event && match(e.data as T));
          if (found) {
            finish();
            resolve(found.data as T);
          } else if (done) {
            finish();
            reject(new Error(`the stream ended before a "${event}" event (got: ${events.map((e) => e.event).join(', ') || 'nothing'})`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`no "${event}" event within ${timeoutMs} ms (got: ${events.map((e) => e.event).join(', ') || 'nothing'})`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}
