/**
 * A process's jobs in flight (HERALD_WORKERS), shared by everything that applies facts: the queue's batches
 * (queue.ts) and the runs this process starts itself (local-starts.ts). Whoever holds slots is doing a turn;
 * whoever waits for them waits in arrival order, so neither side starves the other.
 */
export interface Slots {
  /** Waits for `count` slots (at most all of them) and resolves with their release. */
  acquire(count: number): Promise<() => void>;
  /** Slots free now. */
  readonly free: number;
}

export function createSlots(total: number): Slots {
  let free = total;
  const waiting: { count: number; grant: () => void }[] = [];

  const release = (count: number) => {
    free += count;
    while (waiting.length && waiting[0]!.count <= free) {
      const next = waiting.shift()!;
      free -= next.count;
      next.grant();
    }
  };

  return {
    get free() {
      return free;
    },
    acquire(wanted) {
      const count = Math.max(1, Math.min(wanted, total));
      let released = false;
      const releaser = () => {
        if (released) return;
        released = true;
        release(count);
      };
      if (waiting.length === 0 && count <= free) {
        free -= count;
        return Promise.resolve(releaser);
      }
      return new Promise((resolve) => waiting.push({ count, grant: () => resolve(releaser) }));
    },
  };
}

/** A batch handler that holds one slot per job while it works. */
export function withSlots<J, R>(slots: Slots, handler: (jobs: J[]) => Promise<R>): (jobs: J[]) => Promise<R> {
  return async (jobs) => {
    const release = await slots.acquire(jobs.length);
    try {
      return await handler(jobs);
    } finally {
      release();
    }
  };
}
