/**
 * Migration 2: send receipts (runtime/delivery/receipts.ts). A new table, nothing rewritten: an upgrade applies
 * it online.
 */
export const sql = `
-- A provider's acceptance of one message, recorded the moment it happens, outside the job's transaction: a job
-- retried after its process died finds the messages already accepted and does not send them again. One row per
-- (run, step, channel), as the message log; narrow (the content is rendered again from the run's data); kept a
-- day (a job is retried within minutes, or dead-lettered).
CREATE TABLE IF NOT EXISTS herald.send_receipts (
  run_id uuid NOT NULL,
  step_id text NOT NULL,
  channel text NOT NULL,
  message_id uuid NOT NULL,
  provider text NOT NULL,
  provider_message_id text,
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, step_id, channel)
);
CREATE INDEX IF NOT EXISTS send_receipts_by_time ON herald.send_receipts (at);
`;
