/**
 * The one shape every SQL statement runs through: a pool, a transaction's client, or pg-boss's transactional
 * `db` all satisfy it, so the same statements run inside a worker's job transaction or outside it.
 */
export interface SqlClient {
  query<Row = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: Row[] }>;
  /**
   * Runs `fn` once the transaction has committed (never if it rolls back). Only our own transactions
   * (db/pool.ts) offer it: a caller's client or pg-boss's `db` cannot say when their work committed.
   */
  afterCommit?(fn: () => void): void;
}

/** A statement from `sql.ts`: text with `$n` placeholders, and its values. */
export interface Statement {
  text: string;
  values: unknown[];
}

export async function rows<Row>(client: SqlClient, statement: Statement): Promise<Row[]> {
  return (await client.query<Row>(statement.text, statement.values)).rows;
}

export async function one<Row>(client: SqlClient, statement: Statement): Promise<Row | undefined> {
  return (await rows<Row>(client, statement))[0];
}

/** Runs a statement for its effect. */
export async function exec(client: SqlClient, statement: Statement): Promise<void> {
  await client.query(statement.text, statement.values);
}
