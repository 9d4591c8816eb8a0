/**
 * Push through Firebase Cloud Messaging (HTTP v1), with the firebase-admin SDK: one FCM message per device
 * token (`sendEach`), each carrying Herald's message id in its data. Tokens FCM reports as dead come back as
 * `invalidTokens`, and the runtime drops them from the profile.
 *
 * Base URL seam. firebase-admin has no emulator variable or endpoint option for messaging: the send host
 * `fcm.googleapis.com` is a constant in lib/messaging/messaging.js. What it does let us choose is the agent:
 * `initializeApp({ httpAgent })` carries every FCM request of its HTTP/1.1 transport. So the adapter always
 * passes its own `https.Agent`, and with `apiUrl` that agent opens every connection to `apiUrl`'s host
 * instead (plain TCP for an http: URL, TLS for https:) while requests keep their paths
 * (`/v1/projects/<id>/messages:send`). `sendEach` defaults to an HTTP/2 session that takes no agent, hence
 * `enableLegacyHttpTransport()` — always, not only with `apiUrl`, so what tests exercise is what runs.
 *
 * OAuth seam. `cert()` cannot be pointed anywhere: google-auth-library (v11) posts to the constant
 * `https://oauth2.googleapis.com/token`, ignoring the service account's `token_uri`, and for a service account
 * given as an object firebase-admin also drops the agent passed to `cert()` (populateGoogleAuth calls
 * `fromJSON` without client options). The adapter therefore gives `initializeApp` its own implementation of
 * firebase-admin's public `Credential` interface: the standard JWT-bearer exchange (RFC 7523) against the
 * account's `token_uri`, through the same agent. The SDK still caches and refreshes the token.
 *
 * Timeouts. The SDK's own request timeout is a fixed 15 s, and it retries ETIMEDOUT, ECONNRESET and 503
 * itself (up to four times, honouring Retry-After up to 60 s). The agent therefore destroys any request not
 * answered within `timeoutMs` with an error the SDK does not retry, and the whole `sendEach` is bounded by
 * twice that, so the SDK's internal retries stay inside the job's budget. A send abandoned that way may still
 * complete in the background; FCM offers no idempotency key to prevent a duplicate on Herald's retry.
 */
import { createPrivateKey, createSign, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http, { type ClientRequest, type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { deleteApp, initializeApp, type Credential, type FirebaseError, type GoogleOAuthAccessToken } from 'firebase-admin/app';
import { getMessaging, type BatchResponse, type TokenMessage } from 'firebase-admin/messaging';
import {
  createRedactor,
  httpFailure,
  permanentFailure,
  timeoutError,
  transportFailure,
  transportProblem,
  type FailedDelivery,
  type Redactor,
} from './failure.ts';
import type { CredentialCheck, DeliveryProvider, DeliveryResult, OutboundMessage } from './types.ts';

export interface FcmConfig {
  /** The service account: a path to its JSON file, or the JSON itself. */
  serviceAccount: string;
  /** Where every FCM and OAuth connection goes instead of Google's hosts (a fake in tests, a proxy). */
  apiUrl?: string;
  /** Per request (token fetch, each token's send); the whole send gets twice this. */
  timeoutMs?: number;
}

export interface FcmProvider extends DeliveryProvider {
  /** Deletes the Firebase app and closes its connections. */
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** FCM's verdicts that mean "this token will never work again": the runtime removes it from the profile. */
const DEAD_TOKEN_CODES = new Set(['messaging/registration-token-not-registered', 'messaging/invalid-registration-token']);

/**
 * FCM v1 answers a malformed token with 400 INVALID_ARGUMENT, which the SDK reports as the generic
 * messaging/invalid-argument — the same code as a bad payload. Only the message tells them apart, and a bad
 * payload must not cost the user every token they have.
 */
function isDeadToken(error: FirebaseError | undefined): boolean {
  if (!error) return false;
  if (DEAD_TOKEN_CODES.has(error.code)) return true;
  return error.code === 'messaging/invalid-argument' && /registration token/i.test(error.message);
}

interface ServiceAccountJson {
  project_id: string;
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
}

function readServiceAccount(source: string): ServiceAccountJson {
  const trimmed = source.trim();
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed.startsWith('{') ? trimmed : readFileSync(trimmed, 'utf8'));
  } catch (error) {
    // never echo the content: it is a private key
    const why = error instanceof SyntaxError ? 'is not valid JSON' : `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
    throw new Error(`the FCM service account ${trimmed.startsWith('{') ? '(inline JSON)' : trimmed} ${why}`);
  }
  const account = parsed as Partial<ServiceAccountJson> | null;
  for (const key of ['project_id', 'client_email', 'private_key'] as const) {
    if (typeof account?.[key] !== 'string' || !account[key]) throw new Error(`the FCM service account has no ${key}`);
  }
  try {
    createPrivateKey(account!.private_key!);
  } catch {
    throw new Error('the FCM service account private_key is not a valid PEM private key');
  }
  return account as ServiceAccountJson;
}

/**
 * The agent every SDK request goes through: keeps each request within `timeoutMs` (armed when a connection is
 * opened or reused, disarmed when the response is done), and with a `target` sends every connection there.
 * Only documented `http.Agent` hooks are used: createConnection, reuseSocket, keepSocketAlive.
 */
class FcmAgent extends https.Agent {
  readonly #timeoutMs: number;
  readonly #target: URL | undefined;
  readonly #deadlines = new WeakMap<Duplex, NodeJS.Timeout>();

  constructor(timeoutMs: number, target: URL | undefined) {
    super({ keepAlive: true });
    this.#timeoutMs = timeoutMs;
    this.#target = target;
  }

  override createConnection(options: https.RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const socket = this.#target ? this.#connectToTarget(this.#target) : super.createConnection(options, callback);
    if (socket) {
      this.#arm(socket);
      socket.once('close', () => this.#disarm(socket));
    }
    return socket;
  }

  override reuseSocket(socket: Duplex, request: ClientRequest): void {
    super.reuseSocket(socket, request);
    this.#arm(socket);
  }

  override keepSocketAlive(socket: Duplex): void {
    this.#disarm(socket);
    return super.keepSocketAlive(socket);
  }

  #connectToTarget(target: URL): Duplex {
    const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
    if (target.protocol === 'http:') return net.connect({ host, port: Number(target.port || 80) });
    return tls.connect({ host, port: Number(target.port || 443), ...(net.isIP(host) ? {} : { servername: host }), ALPNProtocols: ['http/1.1'] });
  }

  #arm(socket: Duplex) {
    this.#disarm(socket);
    const timer = setTimeout(() => socket.destroy(timeoutError(this.#timeoutMs)), this.#timeoutMs);
    timer.unref();
    this.#deadlines.set(socket, timer);
  }

  #disarm(socket: Duplex) {
    clearTimeout(this.#deadlines.get(socket));
    this.#deadlines.delete(socket);
  }
}

const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
const MESSAGING_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';

/** The token endpoint refused (or failed): kept as an HTTP answer so it is classified like any other. */
class TokenEndpointError extends Error {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;

  constructor(status: number, headers: IncomingHttpHeaders, body: unknown) {
    const e = (body ?? {}) as { error?: unknown; error_description?: unknown };
    super(
      `OAuth token endpoint answered HTTP ${status}${typeof e.error === 'string' ? ` ${e.error}` : ''}${typeof e.error_description === 'string' ? `: ${e.error_description}` : ''}`,
    );
    this.status = status;
    this.headers = headers;
    this.body = body;
    this.name = 'TokenEndpointError';
  }
}

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

/** POSTs a form, through `agent` for https: URLs; the deadline is the agent's, or the request's own for http:. */
function postForm(
  url: URL,
  form: URLSearchParams,
  agent: https.Agent,
  timeoutMs: number,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: unknown }> {
  const payload = form.toString();
  const transport = url.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const req = transport.request(
      url,
      {
        method: 'POST',
        ...(url.protocol === 'https:' ? { agent } : {}),
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(payload), accept: 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON: kept as text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(timeoutError(timeoutMs)));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * firebase-admin's `Credential` for a service account: a JWT signed with the account's key, exchanged at its
 * `token_uri` for an access token (the JWT-bearer grant Google documents for server-to-server OAuth).
 */
class ServiceAccountCredential implements Credential {
  private readonly account: ServiceAccountJson;
  private readonly agent: https.Agent;
  private readonly timeoutMs: number;

  constructor(account: ServiceAccountJson, agent: https.Agent, timeoutMs: number) {
    this.account = account;
    this.agent = agent;
    this.timeoutMs = timeoutMs;
  }

  async getAccessToken(): Promise<GoogleOAuthAccessToken> {
    const tokenUri = new URL(this.account.token_uri || GOOGLE_TOKEN_URI);
    const now = Math.floor(Date.now() / 1000);
    const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', ...(this.account.private_key_id ? { kid: this.account.private_key_id } : {}) }));
    const claims = base64url(JSON.stringify({ iss: this.account.client_email, scope: MESSAGING_SCOPE, aud: tokenUri.href, iat: now, exp: now + 3600 }));
    const signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(this.account.private_key);
    const form = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: `${header}.${claims}.${base64url(signature)}` });
    const answer = await postForm(tokenUri, form, this.agent, this.timeoutMs);
    const body = answer.body as { access_token?: unknown; expires_in?: unknown } | null;
    if (answer.status !== 200 || typeof body?.access_token !== 'string') throw new TokenEndpointError(answer.status, answer.headers, answer.body);
    return { access_token: body.access_token, expires_in: typeof body.expires_in === 'number' ? body.expires_in : Number(body.expires_in) || 3600 };
  }
}

async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError(ms)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** One token's (or the whole call's) failure as a result. */
function fcmFailure(error: unknown, redactor: Redactor): FailedDelivery {
  const e = error as Partial<FirebaseError> | null;
  const http = e?.httpResponse;
  if (http && typeof http.status === 'number') {
    return httpFailure(
      {
        provider: 'fcm',
        status: http.status,
        headers: http.headers,
        ...(e.code ? { code: e.code } : {}),
        ...(e.message ? { message: e.message } : {}),
        body: http.data,
      },
      redactor,
    );
  }
  const refused = (e as { cause?: unknown } | null)?.cause;
  if (refused instanceof TokenEndpointError) {
    const oauthCode = (refused.body as { error?: unknown } | null)?.error;
    return httpFailure(
      {
        provider: 'fcm',
        status: refused.status,
        headers: refused.headers,
        code: typeof oauthCode === 'string' ? `oauth/${oauthCode}` : `oauth/${refused.status}`,
        message: refused.message,
        body: refused.body,
      },
      redactor,
    );
  }
  // the SDK's own validation (bad payload) is permanent; its network errors wrap the cause
  const ownValidation = typeof e?.code === 'string' && e.code.startsWith('messaging/') && transportProblem(error).kind === 'unknown';
  const failure = transportFailure('fcm', error, redactor, { retryableUnknown: !ownValidation });
  return ownValidation && typeof e?.code === 'string' ? { ...failure, code: e.code } : failure;
}

export function createFcmProvider(config: FcmConfig): FcmProvider {
  const account = readServiceAccount(config.serviceAccount);
  const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const agent = new FcmAgent(timeoutMs, config.apiUrl ? new URL(config.apiUrl) : undefined);
  const credential = new ServiceAccountCredential(account, agent, timeoutMs);
  const app = initializeApp(
    {
      credential,
      projectId: account.project_id,
      httpAgent: agent,
    },
    // apps are named globally in firebase-admin; several FCM providers (or tests) must not collide
    `herald-fcm-${randomUUID()}`,
  );
  const messaging = getMessaging(app);
  messaging.enableLegacyHttpTransport();
  const redactor = createRedactor([account.private_key, account.private_key_id]);

  return {
    kind: 'fcm',
    async verify(): Promise<CredentialCheck> {
      try {
        await credential.getAccessToken();
        return { ok: true, detail: `service account ${account.client_email} accepted (an access token issued)` };
      } catch (error) {
        const failure = fcmFailure(error, redactor);
        return { ok: false, why: failure.ok ? 'unknown' : `${failure.code ?? ''} ${failure.error}`.trim() };
      }
    },
    async send(message: OutboundMessage): Promise<DeliveryResult> {
      const tokens = [...new Set((message.to.push_tokens ?? []).filter((t) => typeof t === 'string' && t !== ''))];
      if (!tokens.length) return permanentFailure('fcm', 'no_address', 'the recipient has no push tokens');
      const content = message.content as { title?: string; body?: string; data?: Record<string, string> };
      const data = { ...content.data, herald_message_id: message.messageId };
      const notification = { title: content.title ?? '', body: content.body ?? '' };
      const messages: TokenMessage[] = tokens.map((token) => ({ token, notification, data }));

      let batch: BatchResponse;
      try {
        batch = await withDeadline(messaging.sendEach(messages), timeoutMs * 2);
      } catch (error) {
        return fcmFailure(error, redactor);
      }

      const invalidTokens = tokens.filter((_, i) => isDeadToken(batch.responses[i]?.error));
      const accepted = batch.responses.flatMap((r) => (r.success && r.messageId ? [r.messageId] : []));
      const failures = batch.responses.flatMap((r) => (!r.success && !isDeadToken(r.error) ? [fcmFailure(r.error, redactor)] : []));
      const summary = {
        sent: accepted.length,
        failed: batch.failureCount,
        messageIds: accepted,
        ...(invalidTokens.length ? { invalidTokens: invalidTokens.length } : {}),
        ...(failures.length ? { errors: failures.map((f) => ({ code: f.code ?? null, error: f.error })) } : {}),
      };

      if (accepted.length) {
        return { ok: true, providerMessageId: accepted[0]!, response: redactor.json(summary), ...(invalidTokens.length ? { invalidTokens } : {}) };
      }
      if (!failures.length) {
        const first = batch.responses.find((r) => r.error)?.error;
        return {
          ...permanentFailure('fcm', first?.code ?? 'invalid_tokens', `every push token was rejected as no longer valid (${invalidTokens.length})`, {
            invalidTokens,
          }),
          response: redactor.json(summary),
        };
      }
      // Some token failed for another reason: retry if any such failure may pass next time, waiting the longest hint.
      const retryable = failures.filter((f) => f.retryable);
      const chosen = retryable[0] ?? failures[0]!;
      const waits = retryable.flatMap((f) => (f.retryAfterMs === undefined ? [] : [f.retryAfterMs]));
      return {
        ok: false,
        retryable: chosen.retryable,
        error: chosen.error,
        ...(chosen.code === undefined ? {} : { code: chosen.code }),
        ...(waits.length ? { retryAfterMs: Math.max(...waits) } : {}),
        response: redactor.json({ ...summary, first: chosen.response ?? null }),
        ...(invalidTokens.length ? { invalidTokens } : {}),
      };
    },
    async close() {
      await deleteApp(app);
      agent.destroy();
    },
  };
}
