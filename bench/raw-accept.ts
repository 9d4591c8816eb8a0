/**
 * The baseline of the trigger-latency figures, run as its own process like `herald start`: a bare
 * `node:http` server whose POST parses the JSON body and does one raw pg-boss `send` before answering 202,
 * while a pg-boss worker in the same process works the jobs (one `SELECT 1` each, Herald's fetch settings).
 * It is the floor of "accept a trigger durably over HTTP and keep working" on this database.
 * Started by latency.ts: `DATABASE_URL=… node --import tsx bench/raw-accept.ts` prints `listening <url>`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_WORKERS, startRawBoss, workSelectOne } from './raw-pgboss.ts';

const boss = await startRawBoss(process.env.DATABASE_URL!);
await workSelectOne(boss, DEFAULT_WORKERS);

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let body: object;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as object;
    } catch {
      return void res.writeHead(400).end();
    }
    boss.send('bench', body).then(
      (id) => res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ id })),
      () => res.writeHead(503).end(),
    );
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}\n`));
process.once('SIGTERM', () => {
  server.close();
  void boss.stop({ graceful: false, timeout: 2000 }).finally(() => process.exit(0));
});
