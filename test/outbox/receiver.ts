/**
 * A local webhook receiver for the outbox tests: verifies each POST with the `standardwebhooks` package's own
 * verifier (not Herald's code), keeps what it received by path, and answers what the test tells it to.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  id: string;
  type: string;
  data: Record<string, unknown>;
  verified: boolean;
}

export interface Receiver {
  url: string;
  /** Received (verified or not) per path, in arrival order, including failed answers' requests. */
  requests: Map<string, Received[]>;
  /** What each path answered 2xx to. */
  accepted(path: string): Received[];
  secrets: Map<string, string>;
  /** The status a path answers with (default 200). */
  answer: Map<string, number>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const requests = new Map<string, Received[]>();
  const acceptedBy = new Map<string, Received[]>();
  const secrets = new Map<string, string>();
  const answer = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const body = Buffer.concat(chunks).toString('utf8');
      const secret = secrets.get(path);
      let verified = false;
      let payload: { type: string; data: Record<string, unknown> } = { type: '?', data: {} };
      try {
        payload = new Webhook(secret ?? 'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA').verify(body, req.headers as Record<string, string>) as typeof payload;
        verified = secret !== undefined;
      } catch {
        payload = JSON.parse(body);
      }
      const received = { id: String(req.headers['webhook-id']), type: payload.type, data: payload.data, verified };
      requests.set(path, [...(requests.get(path) ?? []), received]);
      const status = answer.get(path) ?? 200;
      if (status >= 200 && status < 300) acceptedBy.set(path, [...(acceptedBy.get(path) ?? []), received]);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    accepted: (path) => acceptedBy.get(path) ?? [],
    secrets,
    answer,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
