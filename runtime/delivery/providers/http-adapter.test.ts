import axios, { AxiosError, type AxiosInstance } from 'axios';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leanAdapter, leanAdapterFor } from './http-adapter.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

describe('lean axios adapter (real HTTP on loopback)', () => {
  let server: Server;
  let base: string;
  const seen: Seen[] = [];
  let answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  let client: AxiosInstance;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        answer(req, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    client = axios.create({ adapter: leanAdapter, maxRedirects: 0 });
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("sends axios's serialised request (method, path under the base URL's own path, query, headers, JSON body) and hands back the parsed answer", async () => {
    answer = (_req, res) => res.writeHead(202, { 'content-type': 'application/json', 'x-message-id': 'abc' }).end('{"ok":true}');
    seen.length = 0;
    const response = await client.post(
      '/v3/mail/send',
      { to: 'ada@example.com', n: 1 },
      { baseURL: `${base}/relay/`, params: { dry: 1 }, headers: { Authorization: 'Bearer SG.key' } },
    );
    expect(response.status).toBe(202);
    expect(response.data).toEqual({ ok: true });
    expect(response.headers['x-message-id']).toBe('abc');
    const [request] = seen;
    expect(request).toMatchObject({ method: 'POST', url: '/relay/v3/mail/send?dry=1', body: '{"to":"ada@example.com","n":1}' });
    expect(request!.headers).toMatchObject({
      authorization: 'Bearer SG.key',
      'content-type': 'application/json',
      'content-length': '30',
      'accept-encoding': 'identity',
    });
  });

  it('rejects a status the config does not accept with the response attached, as axios does', async () => {
    answer = (_req, res) => res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' }).end('{"errors":[{"message":"slow down"}]}');
    const error = await client.get(`${base}/x`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AxiosError);
    expect((error as AxiosError).code).toBe(AxiosError.ERR_BAD_REQUEST);
    expect((error as AxiosError).response?.status).toBe(429);
    expect((error as AxiosError).response?.headers['retry-after']).toBe('7');
    expect((error as AxiosError).response?.data).toEqual({ errors: [{ message: 'slow down' }] });
    answer = (_req, res) => res.writeHead(503).end('down');
    expect(((await client.get(`${base}/x`).catch((e: unknown) => e)) as AxiosError).code).toBe(AxiosError.ERR_BAD_RESPONSE);
    // A redirect is an answer, not followed.
    answer = (_req, res) => res.writeHead(307, { location: `${base}/elsewhere` }).end();
    seen.length = 0;
    expect(((await client.get(`${base}/x`).catch((e: unknown) => e)) as AxiosError).response?.status).toBe(307);
    expect(seen.map((s) => s.url)).toEqual(['/x']);
  });

  it('times out as axios reports it when the server stays silent', async () => {
    answer = () => {};
    const error = (await client.get(`${base}/slow`, { timeout: 100 }).catch((e: unknown) => e)) as AxiosError;
    expect(error.code).toBe(AxiosError.ECONNABORTED);
    expect(error.message).toBe('timeout of 100ms exceeded');
  });

  it('reports a refused connection with its code', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = (await client.get(`http://127.0.0.1:${port}/`).catch((e: unknown) => e)) as AxiosError;
    expect(error).toBeInstanceOf(AxiosError);
    expect(error.code).toBe('ECONNREFUSED');
  });

  it('stops reading an answer past maxContentLength, and stops on an abort signal', async () => {
    answer = (_req, res) => res.writeHead(200).end('x'.repeat(10_000));
    const tooLong = (await client.get(`${base}/big`, { maxContentLength: 1_000 }).catch((e: unknown) => e)) as AxiosError;
    expect(tooLong.message).toBe('maxContentLength size of 1000 exceeded');
    answer = () => {};
    const controller = new AbortController();
    const pending = client.get(`${base}/hang`, { signal: controller.signal }).catch((e: unknown) => e);
    setTimeout(() => controller.abort(), 20);
    expect(axios.isCancel(await pending)).toBe(true);
  });

  it('refuses a body it cannot send, and a protocol other than HTTP(S), before connecting', async () => {
    seen.length = 0;
    const stream = (await client.post(`${base}/x`, new Blob(['a']), { transformRequest: [(d: unknown) => d] }).catch((e: unknown) => e)) as AxiosError;
    expect(stream.message).toMatch(/strings and bytes only/);
    const ftp = (await client.get('ftp://127.0.0.1/x').catch((e: unknown) => e)) as AxiosError;
    expect(ftp.message).toBe('Unsupported protocol ftp:');
    expect(seen).toEqual([]);
  });

  it("leaves axios's own adapter (which honours proxies) to a process whose environment names a proxy", () => {
    expect(leanAdapterFor({})).toBe(leanAdapter);
    expect(leanAdapterFor({ HTTPS_PROXY: 'http://proxy:3128' })).toBeUndefined();
    expect(leanAdapterFor({ http_proxy: 'http://proxy:3128' })).toBeUndefined();
    expect(leanAdapterFor({ ALL_PROXY: 'socks5://proxy:1080' })).toBeUndefined();
  });
});
