import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyLimit } from './body-limit.ts';

const LIMIT = 1024;

/** Sends `chunks` to POST /echo; with `length`, declared; without, chunked (as a streaming client sends). */
function post(port: number, chunks: string[], declared: boolean): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const size = chunks.reduce((n, c) => n + Buffer.byteLength(c), 0);
    const req = request({ port, path: '/echo', method: 'POST', headers: declared ? { 'content-length': size } : { 'transfer-encoding': 'chunked' } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe('bodyLimit', () => {
  let server: ReturnType<typeof serve>;
  let port: number;

  beforeAll(async () => {
    const app = new Hono();
    app.use('*', bodyLimit({ maxSize: LIMIT, onError: (c) => c.text('too large', 413) }));
    app.post('/echo', async (c) => {
      const text = await c.req.text();
      return c.text(`${text.length}`);
    });
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
        port = info.port;
        resolve();
      });
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('passes a body of a declared length up to the limit, read whole by the handler', async () => {
    expect(await post(port, ['x'.repeat(LIMIT)], true)).toEqual({ status: 200, body: String(LIMIT) });
  });

  it('refuses a declared length past the limit without reading the body', async () => {
    expect(await post(port, ['x'.repeat(LIMIT + 1)], true)).toEqual({ status: 413, body: 'too large' });
  });

  it('counts a chunked body as it streams: under the limit it passes, past it 413', async () => {
    expect(await post(port, ['x'.repeat(600), 'y'.repeat(400)], false)).toEqual({ status: 200, body: '1000' });
    expect(await post(port, ['x'.repeat(600), 'y'.repeat(600)], false)).toEqual({ status: 413, body: 'too large' });
  });

  it("falls back to Hono's own error when no onError is given", async () => {
    const app = new Hono();
    app.use('*', bodyLimit({ maxSize: 4 }));
    app.post('/', (c) => c.text('ok'));
    const res = await app.request('/', { method: 'POST', body: 'too long', headers: { 'content-length': '8' } });
    expect(res.status).toBe(413);
  });
});
