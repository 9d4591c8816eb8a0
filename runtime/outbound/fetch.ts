/**
 * `outboundFetch`: the one way Herald calls a URL that a team chose (webhook channel, fetch step, lifecycle
 * webhooks). Every hop goes through the guard (guard.ts), and the socket connects to the addresses the guard
 * checked (a `lookup` that hands back exactly those), so a rebinding DNS answer cannot slip in between.
 * Redirects are followed for GET and HEAD only, at most five, each hop guarded; other methods get the 3xx back.
 *
 * Built on node:http(s) rather than fetch: fetch offers no per-request way to pin the connection's address.
 * Answers come back as a standard `Response` with the body read (bounded), the deadline covering everything.
 */
import type { LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { TOO_LARGE_CODE, timeoutError } from '../delivery/providers/failure.ts';
import { checkOutboundUrl, type OutboundPolicy, OutboundRefusedError, outboundPolicy } from './guard.ts';

export interface OutboundInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface OutboundOptions {
  /** The whole call's deadline (every hop, and reading the answer); it fails with code HERALD_TIMEOUT. */
  timeoutMs: number;
  /** The longest answer read, in bytes (default 1 MiB); a longer one fails the call. */
  maxBytes?: number;
  /** `manual`: a 3xx is returned, never followed (default: followed for GET and HEAD). */
  redirect?: 'follow' | 'manual';
  policy?: OutboundPolicy;
  signal?: AbortSignal;
}

const MAX_REDIRECTS = 5;
const DEFAULT_MAX_BYTES = 1024 * 1024;
// Keep-alive sockets are reused per host and port: each was connected to an address the guard accepted.
const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };

/** A `lookup` that answers with the checked addresses only, in the shape the caller asked for. */
function pinnedLookup(addresses: string[]): LookupFunction {
  const entries: LookupAddress[] = addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, entries);
    else callback(null, entries[0]!.address, entries[0]!.family);
  }) as LookupFunction;
}

interface Answer {
  status: number;
  statusText: string;
  headers: Headers;
  body: Buffer;
}

function requestOnce(url: URL, addresses: string[], init: OutboundInit, maxBytes: number, signal: AbortSignal): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = init.body;
    const headers: Record<string, string> = { 'accept-encoding': 'identity', ...init.headers };
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const secure = url.protocol === 'https:';
    const request = (secure ? https : http).request(
      url,
      { method: init.method ?? 'GET', headers, agent: agents[secure ? 'https:' : 'http:'], lookup: pinnedLookup(addresses), signal },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) return request.destroy(Object.assign(new Error(`the answer is longer than ${maxBytes} bytes`), { code: TOO_LARGE_CODE }));
          chunks.push(chunk);
        });
        res.on('end', () => {
          const answerHeaders = new Headers();
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
            try {
              answerHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
            } catch {
              // a header value fetch's Headers refuses: not one we need
            }
          }
          resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: answerHeaders, body: Buffer.concat(chunks) });
        });
        res.on('error', reject);
        res.on('aborted', () => reject(Object.assign(new Error('the answer was cut off'), { code: 'ECONNRESET' })));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * The headers that may follow a redirect to another origin: `accept` only. A caller's header may hold a secret
 * under any name (x-api-key, x-shop-token…), and the new origin was chosen by the server that redirected.
 */
function forAnotherOrigin(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() === 'accept'));
}

/** `work`, or the signal's reason as soon as it aborts (the work itself is left to finish on its own). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

function toResponse(answer: Answer): Response {
  const empty = answer.status === 204 || answer.status === 205 || answer.status === 304;
  // Response refuses statuses outside 200–599; a server answering so is broken, say it as a 502 would.
  const status = answer.status >= 200 && answer.status <= 599 ? answer.status : 502;
  return new Response(empty ? null : new Uint8Array(answer.body), { status, statusText: answer.statusText, headers: answer.headers });
}

/**
 * Calls `url` if the guard accepts it and every redirect hop. Throws OutboundRefusedError (permanent: a URL the
 * guard refuses), an error with code HERALD_TIMEOUT past the deadline, or the connection's own error (ECONNREFUSED…).
 *
 * @example const res = await outboundFetch('https://shop.example.com/carts/42', { headers: { authorization } }, { timeoutMs: 5000 });
 */
export async function outboundFetch(input: string | URL, init: OutboundInit = {}, options: OutboundOptions): Promise<Response> {
  const policy = options.policy ?? outboundPolicy();
  const method = (init.method ?? 'GET').toUpperCase();
  const follow = options.redirect !== 'manual' && (method === 'GET' || method === 'HEAD');
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
  const expired = () => (deadline.aborted ? timeoutError(options.timeoutMs) : null);
  let next = input;
  let headers = init.headers;
  for (let hop = 0; ; hop++) {
    let answer: Answer;
    let url: URL;
    try {
      // getaddrinfo takes no signal (a slow resolver would hold the call past its deadline): race the check against it.
      const checked = await untilAborted(checkOutboundUrl(next, policy), signal);
      url = checked.url;
      signal.throwIfAborted();
      answer = await requestOnce(url, checked.addresses, { ...init, method, ...(headers ? { headers } : {}) }, options.maxBytes ?? DEFAULT_MAX_BYTES, signal);
    } catch (error) {
      throw expired() ?? error;
    }
    const location = answer.headers.get('location');
    if (!follow || answer.status < 300 || answer.status > 399 || answer.status === 304 || !location) return toResponse(answer);
    if (hop + 1 > MAX_REDIRECTS) throw new OutboundRefusedError('redirect', `${url.origin}: more than ${MAX_REDIRECTS} redirects`);
    next = new URL(location, url);
    // Stricter than fetch (which drops only authorization and cookies): nothing meant for one origin goes to another.
    if (next.origin !== url.origin && headers) headers = forAnotherOrigin(headers);
  }
}
