/**
 * Send receipts (runtime/delivery/receipts.ts), with real processes: a `herald start` armed to SIGKILL itself
 * right after the provider accepted the SMS of a job that sent an email first, then a second process that
 * picks the job up. The email was accepted before the crash and its receipt committed: the retried job logs it
 * from the receipt and SendGrid sees it once. The SMS was caught between its provider's answer and its receipt:
 * it is the one message sent twice. Before receipts, both were.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { type Fakes, killBundle, runtimeEnv, startFakes } from '../faults/kill-support.ts';
import { freshDatabase } from '../setup/database.ts';
import { spawnRuntime, writeBundleFile, type RuntimeProcess } from '../setup/runtime-process.ts';
import { eventually } from './harness.ts';

const API_KEY = 'receipts-key-0123456789-0123456789-0123456789';
const work = mkdtempSync(join(tmpdir(), 'herald-receipts-'));
const processes: RuntimeProcess[] = [];
let fakes: Fakes | null = null;

afterAll(async () => {
  for (const p of processes) p.kill('SIGKILL');
  await Promise.all([fakes?.sendgrid.close(), fakes?.twilio.close()]);
  rmSync(work, { recursive: true, force: true });
});

const requestsFor = (fake: Fakes['sendgrid'], runId: string) => fake.requests.filter((r) => r.raw.includes(runId) && (r.answer?.status ?? 0) < 300);

it('a job retried after a crash sends again only the message caught between its provider and its receipt', async () => {
  fakes = await startFakes();
  const databaseUrl = await freshDatabase('receipts');
  const bundlePath = writeBundleFile(await killBundle(), work);
  const compileCache = join(work, 'compile-cache');
  // Pass 1 is the email's acceptance, pass 2 the SMS's: die right after Twilio answered.
  const armed = await spawnRuntime({
    bundlePath,
    databaseUrl,
    apiKey: API_KEY,
    env: runtimeEnv(fakes, compileCache, { HERALD_FAILPOINTS: 'send.after-provider=@2', HERALD_LOCAL_STARTS: 'off' }),
  });
  processes.push(armed);
  const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
  const user = await fetch(`${armed.url}/v1/users/ada`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({ email: 'ada@example.com', phone_number: '+15555550100' }),
  });
  expect(user.status).toBe(200);
  const triggered = await fetch(`${armed.url}/v1/events`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ event: 'kill_ping', userId: 'ada', properties: { n: 1 } }),
  });
  expect(triggered.status, await triggered.clone().text()).toBe(202);
  const { runs } = (await triggered.json()) as { runs: string[] };
  const runId = runs[0]!;
  const death = await Promise.race([armed.exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 30_000))]);
  expect(death?.signal, `the armed process did not die at its failpoint:\n${armed.output.join('').slice(-3000)}`).toBe('SIGKILL');
  expect(requestsFor(fakes.sendgrid, runId)).toHaveLength(1);
  expect(requestsFor(fakes.twilio, runId)).toHaveLength(1);

  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const receipts = await db.query<{ channel: string }>('SELECT channel FROM herald.send_receipts WHERE run_id = $1 ORDER BY channel', [runId]);
    expect(receipts.rows.map((r) => r.channel)).toEqual(['email']);

    const survivor = await spawnRuntime({ bundlePath, databaseUrl, apiKey: API_KEY, env: runtimeEnv(fakes, compileCache) });
    processes.push(survivor);
    // The dead process's job comes back once its heartbeat is stale (~10–20 s).
    const messages = await eventually(
      'the run completed by the second process',
      async () => {
        const run = await db.query<{ status: string }>('SELECT status FROM herald.runs WHERE id = $1', [runId]);
        if (run.rows[0]?.status !== 'completed') return null;
        return (
          await db.query<{ channel: string; status: string; provider_message_id: string; content: unknown; history: { status: string; via?: string }[] }>(
            'SELECT channel, status, provider_message_id, content, history FROM herald.messages WHERE run_id = $1 ORDER BY channel',
            [runId],
          )
        ).rows;
      },
      90_000,
    );
    // SendGrid saw the email once: the retried job logged it from its receipt, with the first acceptance's id.
    expect(requestsFor(fakes.sendgrid, runId)).toHaveLength(1);
    expect(requestsFor(fakes.twilio, runId)).toHaveLength(2);
    expect(messages.map((m) => [m.channel, m.status])).toEqual([
      ['email', 'sent'],
      ['sms', 'sent'],
    ]);
    const email = messages[0]!;
    expect(email.provider_message_id).toBe(requestsFor(fakes.sendgrid, runId)[0]!.answer!.headers['x-message-id']);
    expect(email.history).toContainEqual(expect.objectContaining({ status: 'sent', via: 'receipt', provider: 'kill-sendgrid' }));
    expect(messages[1]!.history.some((h) => h.via === 'receipt')).toBe(false);
    // Its content is rendered again from the run's data, as the provider received it.
    expect(JSON.stringify(email.content)).toContain(`run ${runId}`);
    // The retried job's turn recorded the messages itself, and took the receipts with it.
    expect((await db.query('SELECT 1 FROM herald.send_receipts WHERE run_id = $1', [runId])).rows).toEqual([]);
    await survivor.stop();
  } finally {
    await db.end();
  }
}, 180_000);
