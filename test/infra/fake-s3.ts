/**
 * A tiny S3 for tests: answers path-style GetObject (`GET /bucket/key`) from an in-memory map, with S3's
 * XML error for a missing key, and records each request so a test can see what the SDK sent.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeS3 {
  url: string;
  objects: Map<string, string>;
  requests: { method: string; path: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

export async function startFakeS3(): Promise<FakeS3> {
  const objects = new Map<string, string>();
  const requests: FakeS3['requests'] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    requests.push({ method: req.method ?? '', path, headers: req.headers });
    // Path-style: the first segment is the bucket, the rest (percent-decoded) the key.
    const [, bucket = '', ...key] = path.split('/').map(decodeURIComponent);
    const body = objects.get(`${bucket}/${key.join('/')}`);
    if (req.method === 'GET' && body !== undefined) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      return void res.end(body);
    }
    const xml = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>${key.join('/')}</Key></Error>`;
    res.writeHead(404, { 'content-type': 'application/xml' });
    res.end(xml);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    objects,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
