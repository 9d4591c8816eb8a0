/**
 * At most `max` tasks at a time, the rest waiting in order. Streams compare through one gate per process:
 * a wake-up of every stream at once (the listener reconnecting) must queue, not take every connection of
 * the pool from the API.
 */
export type Gate = <T>(task: () => Promise<T>) => Promise<T>;

export function createGate(max: number): Gate {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (running >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}
