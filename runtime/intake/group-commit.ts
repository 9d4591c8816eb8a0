/**
 * Group commit: small transactions that arrive together (a trigger each, from concurrent requests) share one
 * transaction and one COMMIT. A request still answers only after its work is committed; what it saves is
 * the per-transaction cost (BEGIN, COMMIT and its WAL flush, round trips on a pooled connection) that
 * otherwise bounds how many triggers a process accepts per second.
 *
 * Alone, an item runs at once — groups form only while earlier ones are in flight, so at low load nothing
 * waits. If a group fails, each of its items is retried alone: one bad request never fails its neighbours.
 * Items may therefore run twice; their work must touch nothing but the transaction.
 */
import type { SqlClient } from '../db/sql-client.ts';

export interface BatchOptions {
  /** Most items in one group. */
  maxGroup: number;
  /** Groups in flight at once (each holds a connection). */
  maxInFlight: number;
}

export const DEFAULT_BATCH: BatchOptions = { maxGroup: 64, maxInFlight: 4 };

export interface BatchRunner<I, O> {
  /** Runs a group in one transaction; resolves with one result per item, in order. */
  together(items: I[]): Promise<O[]>;
  /** Runs one item in a transaction of its own. */
  alone(item: I): Promise<O>;
}

interface Pending<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/** Batches concurrent calls into groups (see above); each call resolves with its own item's result. */
export function createBatcher<I, O>(runner: BatchRunner<I, O>, options: BatchOptions = DEFAULT_BATCH): (item: I) => Promise<O> {
  const pending: Pending<I, O>[] = [];
  let inFlight = 0;

  const alone = (p: Pending<I, O>) => runner.alone(p.item).then(p.resolve, p.reject);

  async function together(group: Pending<I, O>[]): Promise<void> {
    let results: O[];
    try {
      results = await runner.together(group.map((p) => p.item));
    } catch {
      await Promise.all(group.map(alone));
      return;
    }
    group.forEach((p, i) => p.resolve(results[i]!));
  }

  function pump(): void {
    while (inFlight < options.maxInFlight && pending.length > 0) {
      const group = pending.splice(0, options.maxGroup);
      inFlight++;
      void (group.length === 1 ? alone(group[0]!) : together(group)).finally(() => {
        inFlight--;
        pump();
      });
    }
  }

  return (item) =>
    new Promise<O>((resolve, reject) => {
      pending.push({ item, resolve, reject });
      pump();
    });
}

export type TransactionWork<T> = (tx: SqlClient) => Promise<T>;

/** Works that share a transaction run one after the other in it. */
export function createGroupCommit(
  transaction: <T>(work: TransactionWork<T>) => Promise<T>,
  options?: BatchOptions,
): <T>(work: TransactionWork<T>) => Promise<T> {
  const batch = createBatcher<TransactionWork<unknown>, unknown>(
    {
      together: (works) =>
        transaction(async (tx) => {
          const out: unknown[] = [];
          for (const work of works) out.push(await work(tx));
          return out;
        }),
      alone: (work) => transaction(work),
    },
    options,
  );
  return <T>(work: TransactionWork<T>) => batch(work) as Promise<T>;
}
