/**
 * A lean axios adapter on `node:http`/`node:https`, for the provider SDKs built on axios (SendGrid's). The
 * SDK still builds, authenticates and interprets every request through axios — its config, request and
 * response transforms, status validation and errors are axios's own; only the transport under them changes.
 *
 * Why: axios's Node adapter does per request what a provider call does not need (an event emitter, URL
 * parsing, header normalisation, proxy lookups in the environment, stream plumbing, a `setKeepAlive` on the
 * socket). Measured through runtime/delivery/providers/sendgrid.ts against a local server, CPU per send went from
 * ~0.34 ms to ~0.28 ms; a provider call is most of what a one-send message costs the process.
 *
 * What it does not do, and axios's own adapter does: proxies, redirects, compressed responses (it asks for
 * none: `Accept-Encoding: identity`), upload/download progress, rate limits, streams, HTTP/2. A process whose
 * environment names a proxy (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY) keeps axios's adapter: see `leanAdapterFor`.
 */
import http from 'node:http';
import https from 'node:https';
import axios, { AxiosError, AxiosHeaders, type AxiosAdapter, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';

const PROXY_VARIABLES = ['HTTPS_PROXY', 'HTTP_PROXY', 'ALL_PROXY'];

/** The lean adapter, or none (axios's own) when the environment routes requests through a proxy. */
export function leanAdapterFor(env: NodeJS.ProcessEnv = process.env): AxiosAdapter | undefined {
  const proxied = PROXY_VARIABLES.some((name) => env[name] || env[name.toLowerCase()]);
  return proxied ? undefined : leanAdapter;
}

/** The body as bytes or text; axios's request transform has already serialised JSON. */
function bodyOf(data: unknown): string | Buffer | undefined {
  if (data === undefined || data === null) return undefined;
  if (typeof data === 'string' || Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError(`the request body is a ${Object.prototype.toString.call(data)}; this adapter sends strings and bytes only`);
}

const ABSOLUTE_URL = /^([a-z][a-z\d+\-.]*:)?\/\//i;

/**
 * The request's URL as axios builds it: the base URL's path kept (`https://relay/sendgrid/` + `/v3/mail/send`
 * is `https://relay/sendgrid/v3/mail/send`, not URL resolution's `https://relay/v3/mail/send`). Query
 * parameters go through axios's own `getUri`, which merges the whole config again (the costly part).
 */
function fullUrl(config: InternalAxiosRequestConfig): string {
  if (config.params && Object.keys(config.params).length) return axios.getUri(config);
  const url = config.url ?? '';
  if (!config.baseURL || (ABSOLUTE_URL.test(url) && config.allowAbsoluteUrls !== false)) return url;
  return url ? `${config.baseURL.replace(/\/?\/$/, '')}/${url.replace(/^\/+/, '')}` : config.baseURL;
}

/** As axios's `settle`: a status the config accepts resolves, any other rejects with the response attached. */
function settle(
  config: InternalAxiosRequestConfig,
  request: http.ClientRequest,
  response: AxiosResponse,
  resolve: (r: AxiosResponse) => void,
  reject: (e: unknown) => void,
) {
  const validate = config.validateStatus;
  if (!validate || validate(response.status)) return resolve(response);
  const code = response.status >= 500 ? AxiosError.ERR_BAD_RESPONSE : AxiosError.ERR_BAD_REQUEST;
  reject(new AxiosError(`Request failed with status code ${response.status}`, code, config, request, response));
}

export const leanAdapter: AxiosAdapter = (config) =>
  new Promise<AxiosResponse>((resolve, reject) => {
    let body: string | Buffer | undefined;
    let url: URL;
    try {
      body = bodyOf(config.data);
      url = new URL(fullUrl(config));
    } catch (error) {
      return reject(AxiosError.from(error, AxiosError.ERR_BAD_REQUEST, config));
    }
    const secure = url.protocol === 'https:';
    if (!secure && url.protocol !== 'http:') return reject(new AxiosError(`Unsupported protocol ${url.protocol}`, AxiosError.ERR_BAD_REQUEST, config));

    const headers = AxiosHeaders.from(config.headers).toJSON() as Record<string, string>;
    headers['Accept-Encoding'] = 'identity';
    if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body));
    const maxBytes = typeof config.maxContentLength === 'number' && config.maxContentLength > -1 ? config.maxContentLength : Infinity;

    let settled = false;
    /** Takes the request's one outcome: false when it already has one (an error after the answer, …). */
    const settleOnce = () => {
      if (settled) return false;
      settled = true;
      config.signal?.removeEventListener?.('abort', onAbort);
      return true;
    };
    const fail = (error: unknown) => {
      if (settleOnce()) reject(error instanceof AxiosError ? error : AxiosError.from(error, (error as { code?: string })?.code, config, request));
    };
    /** Ends the request with `error` (the answer may have begun: its stream is not where errors are read). */
    const abandon = (error: AxiosError) => {
      fail(error);
      request.destroy();
    };
    const onAbort = () => abandon(new axios.CanceledError(undefined, undefined, config));

    const agent = secure ? config.httpsAgent : config.httpAgent;
    const request = (secure ? https : http).request(url, { method: (config.method ?? 'get').toUpperCase(), headers, ...(agent ? { agent } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) return abandon(new AxiosError(`maxContentLength size of ${maxBytes} exceeded`, AxiosError.ERR_BAD_RESPONSE, config, request));
        chunks.push(chunk);
      });
      res.on('end', () => {
        if (!settleOnce()) return;
        const data = config.responseType === 'arraybuffer' ? Buffer.concat(chunks) : Buffer.concat(chunks).toString('utf8');
        const response: AxiosResponse = {
          data,
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? '',
          headers: new AxiosHeaders(res.headers as Record<string, string>),
          config,
          request,
        };
        settle(config, request, response, resolve, reject);
      });
      res.on('error', fail);
    });
    request.on('error', fail);
    // As axios: a timeout is the longest the socket may stay silent, and is reported as axios reports it.
    if (config.timeout) {
      request.setTimeout(config.timeout, () => {
        const message = config.timeoutErrorMessage ?? `timeout of ${config.timeout}ms exceeded`;
        const code = config.transitional?.clarifyTimeoutError ? AxiosError.ETIMEDOUT : AxiosError.ECONNABORTED;
        abandon(new AxiosError(message, code, config, request));
      });
    }
    if (config.signal) {
      if (config.signal.aborted) return onAbort();
      config.signal.addEventListener?.('abort', onAbort, { once: true });
    }
    request.end(body);
  });
