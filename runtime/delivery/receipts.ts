/**
 * Send receipts: each provider acceptance recorded durably the moment it happens, outside the job's
 * transaction. A batch of fact jobs commits its runs' states and message log together, after every send in it
 * returned; before receipts, a process that died between a provider's answer and that commit had every
 * message of the batch sent again by the retried jobs. Now the retried job reads the batch's receipts with its
 * runs (sql.lockRunsWithUsers) and logs those messages as sent without calling the provider: the window in
 * which a crash sends a message twice is the moment between the provider's answer and its receipt's commit.
 *
 * Receipts are group-committed (intake/group-commit.ts): the sends of concurrent batches share INSERTs, on
 * connections of their own (runtime/server.ts) so that a receipt never waits for a connection behind the
 * batches holding the pool, committed without waiting for the WAL flush (`synchronous_commit=off`: a process
 * crash keeps the receipt; a database crash in the next moment could lose it, leaving that message the window
 * it had before receipts). A run waits for its message's receipt before its next send (a batch's other runs go
 * on meanwhile), so a crash catches at most the messages whose providers have just answered.
 *
 * In-app messages get none: the inbox row is written in the job's transaction itself, so a retried job must
 * write it again.
 */
import type { SqlClient } from '../db/sql-client.ts';
import { createBatcher } from '../intake/group-commit.ts';

/** An acceptance: enough for a retried job to log the message again (it renders the content again). */
export interface SendReceipt {
  runId: string;
  stepId: string;
  channel: string;
  messageId: string;
  provider: string;
  providerMessageId: string | null;
}

/** A receipt as lockRunsWithUsers returns it with its run. */
export interface ReceiptRow {
  step_id: string;
  channel: string;
  message_id: string;
  provider: string;
  provider_message_id: string | null;
  at: string;
}

/** A run's receipts by (step, channel). */
export type RunReceipts = ReadonlyMap<string, ReceiptRow>;

export const receiptKey = (stepId: string, channel: string) => `${stepId}\u0000${channel}`;

/** No receipts: the run of every batch but one a process died in. Shared, so the hot path allocates nothing. */
const NONE: RunReceipts = new Map();

export function runReceipts(rows: readonly ReceiptRow[] | null): RunReceipts {
  return rows ? new Map(rows.map((r) => [receiptKey(r.step_id, r.channel), r])) : NONE;
}

export interface ReceiptBook {
  /**
   * Records an acceptance; the promise settles when it is committed. A receipt
   * that fails to commit leaves that message the old window (the batch's commit): reported to `onError`, and
   * the promise still resolves.
   */
  record(receipt: SendReceipt): Promise<void>;
}

const INSERT = `INSERT INTO herald.send_receipts (run_id, step_id, channel, message_id, provider, provider_message_id)
  SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[])
  ON CONFLICT DO NOTHING`;

const columns = (receipts: SendReceipt[]) => [
  receipts.map((r) => r.runId),
  receipts.map((r) => r.stepId),
  receipts.map((r) => r.channel),
  receipts.map((r) => r.messageId),
  receipts.map((r) => r.provider),
  receipts.map((r) => r.providerMessageId),
];

/** Receipt INSERTs in flight at once: the connections runtime/server.ts gives receipts. */
export const RECEIPT_CONNECTIONS = 2;

/** Receipts written through `db` (a pool: each group is one autocommitted INSERT). */
export function receiptBook(db: SqlClient, onError: (error: unknown) => void): ReceiptBook {
  const write = async (receipts: SendReceipt[]) => {
    await db.query(INSERT, columns(receipts));
    return receipts.map(() => undefined);
  };
  const record = createBatcher<SendReceipt, undefined>(
    { together: write, alone: async (receipt) => (await write([receipt]))[0] },
    { maxGroup: 256, maxInFlight: RECEIPT_CONNECTIONS },
  );
  return { record: (receipt) => record(receipt).then(() => undefined, onError) };
}

/** Receipts older than this are deleted by the retention job: a job is retried within minutes or dead-lettered. */
export const RECEIPT_LIFETIME_MS = 24 * 60 * 60 * 1000;
