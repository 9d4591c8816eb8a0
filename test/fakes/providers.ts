/**
 * Local stand-ins for SendGrid, Twilio and FCM: plain `node:http` servers on 127.0.0.1 that speak each
 * provider's real wire format, so the adapters run their real SDKs end to end over loopback. Each fake checks
 * credentials the way the provider does, records what it received, and answers either naturally (accept,
 * or refuse what the provider would refuse) or as scripted: `respondWith(...)` queues the next answers of the
 * send endpoint, `setDefault(...)` replaces the natural one. A scripted `delayMs` holds the answer back, to
 * drive an adapter past its timeout.
 */
import { createVerify, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, STATUS_CODES, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';

export interface ScriptedResponse {
  status: number;
  /** The answer's body; without it, a success status gets the provider's natural body, an error its generic error. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Hold the answer back this long (longer than the adapter's timeout: a timeout). */
  delayMs?: number;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** JSON or form bodies parsed; anything else as text. */
  body: unknown;
  raw: string;
  /** When it arrived (performance.now() of the test process): orders the requests of two fakes. */
  at: number;
  /** What the fake answered (absent while a delayed answer is pending, or when the client left first). */
  answer?: { status: number; headers: Record<string, string>; body: unknown };
}

export interface FakeProvider {
  url: string;
  requests: ReceivedRequest[];
  /** Queue the next answers of the send endpoint, in order. */
  respondWith(...responses: ScriptedResponse[]): void;
  /** The answer once the queue is empty; `undefined` restores the natural one. */
  setDefault(response: ScriptedResponse | undefined): void;
  /** Forget requests, queue and default. */
  reset(): void;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** What makes one fake that provider: its routes, credential checks and answers. */
interface Behaviour {
  /**
   * An answer that does not come from the script: a refused credential, an unknown route, an invalid request,
   * an auxiliary endpoint (FCM's OAuth token). `undefined` lets the script (or the natural success) answer.
   */
  gate(request: ReceivedRequest): Answer | undefined;
  success(request: ReceivedRequest): Answer;
  error(status: number, request: ReceivedRequest): Answer;
}

function parseBody(raw: string, contentType: string | undefined): unknown {
  if (!raw) return undefined;
  if (contentType?.includes('application/json')) {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  if (contentType?.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  return raw;
}

async function startFake(behaviour: Behaviour): Promise<FakeProvider> {
  const requests: ReceivedRequest[] = [];
  let queue: ScriptedResponse[] = [];
  let fallback: ScriptedResponse | undefined;
  const pending = new Set<NodeJS.Timeout>();

  const write = (res: ServerResponse, request: ReceivedRequest, answer: Answer) => {
    if (res.destroyed || res.writableEnded) return;
    const headers: Record<string, string> = { ...answer.headers };
    let payload = '';
    if (answer.body !== undefined && answer.body !== '') {
      payload = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      headers['content-type'] ??= typeof answer.body === 'string' ? 'text/plain' : 'application/json; charset=utf-8';
    }
    request.answer = { status: answer.status, headers, body: answer.body };
    res.writeHead(answer.status, headers).end(payload);
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const request: ReceivedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body: parseBody(raw, req.headers['content-type']),
      raw,
      at: performance.now(),
    };
    requests.push(request);
    const gated = behaviour.gate(request);
    if (gated) return write(res, request, gated);
    const scripted = queue.shift() ?? fallback;
    if (!scripted) return write(res, request, behaviour.success(request));
    const natural = scripted.status < 300 ? behaviour.success(request) : behaviour.error(scripted.status, request);
    const answer: Answer = {
      status: scripted.status,
      body: scripted.body === undefined ? natural.body : scripted.body,
      headers: { ...natural.headers, ...scripted.headers },
    };
    if (!scripted.delayMs) return write(res, request, answer);
    const timer = setTimeout(() => {
      pending.delete(timer);
      write(res, request, answer);
    }, scripted.delayMs);
    pending.add(timer);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respondWith(...responses) {
      queue.push(...responses);
    },
    setDefault(response) {
      fallback = response;
    },
    reset() {
      requests.length = 0;
      queue = [];
      fallback = undefined;
    },
    async close() {
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const statusText = (status: number) => STATUS_CODES[status] ?? 'Error';

// ---------------------------------------------------------------------------------------------------------
// SendGrid: POST /v3/mail/send, Bearer API key, 202 + X-Message-Id

/** SendGrid's error body. */
export function sendgridError(status: number, message: string, field: string | null = null): ScriptedResponse {
  return { status, body: { errors: [{ message, field, help: null }] } };
}

export async function startFakeSendgrid(options: { apiKey: string }): Promise<FakeProvider> {
  const refuse = (status: number, message: string, field: string | null = null): Answer => ({ status, body: { errors: [{ message, field, help: null }] } });
  return startFake({
    gate(request) {
      const account = request.method === 'GET' && request.path === '/v3/scopes';
      if (!account && (request.method !== 'POST' || request.path !== '/v3/mail/send')) return refuse(404, 'Not Found');
      if (request.headers.authorization !== `Bearer ${options.apiKey}`) {
        return refuse(401, 'The provided authorization grant is invalid, expired, or revoked');
      }
      // What `herald doctor` asks: the key's scopes (harmless, authenticated).
      if (account) return { status: 200, body: { scopes: ['mail.send', 'user.profile.read'] } };
      const body = request.body as
        | {
            personalizations?: { to?: { email?: string }[] }[];
            from?: { email?: string };
            subject?: string;
            content?: { type: string; value: string }[];
          }
        | undefined;
      if (!body?.personalizations?.[0]?.to?.[0]?.email)
        return refuse(
          400,
          'The to array is required for all personalization objects, and must have at least one email object with a valid email address.',
          'personalizations.0.to',
        );
      if (!body.from?.email)
        return refuse(
          400,
          'The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.',
          'from',
        );
      if (!body.subject)
        return refuse(
          400,
          'The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.',
          'subject',
        );
      if (!body.content?.length) return refuse(400, 'Unless a valid template_id is provided, the content parameter is required.', 'content');
      return undefined;
    },
    success: () => ({ status: 202, headers: { 'x-message-id': randomBytes(16).toString('base64url') } }),
    error: (status) => refuse(status, statusText(status)),
  });
}

// ---------------------------------------------------------------------------------------------------------
// Twilio: POST /2010-04-01/Accounts/:sid/Messages.json, form-encoded, Basic auth, 201 + message resource

/** Twilio's REST error body. */
export function twilioError(status: number, code: number, message: string, headers?: Record<string, string>): ScriptedResponse {
  return { status, body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, ...(headers ? { headers } : {}) };
}

export async function startFakeTwilio(options: { accountSid: string; authToken: string }): Promise<FakeProvider> {
  const refuse = (status: number, code: number, message: string): Answer => ({
    status,
    body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
  });
  const path = `/2010-04-01/Accounts/${options.accountSid}/Messages.json`;
  return startFake({
    gate(request) {
      const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(request.path);
      const account = request.method === 'GET' && /^\/2010-04-01\/Accounts\/[^/]+\.json$/.test(request.path);
      if (!account && (request.method !== 'POST' || !match)) return refuse(404, 20404, `The requested resource ${request.path} was not found`);
      const basic = /^Basic (.+)$/.exec(request.headers.authorization ?? '');
      const [user, password] = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8').split(':') : [];
      // What `herald doctor` asks: the account itself (harmless, authenticated).
      if (account) {
        if (user !== options.accountSid || password !== options.authToken || request.path !== `/2010-04-01/Accounts/${options.accountSid}.json`)
          return refuse(401, 20003, 'Authenticate');
        return { status: 200, body: { sid: options.accountSid, status: 'active', friendly_name: 'Fake account', type: 'Full' } };
      }
      if (user !== options.accountSid || password !== options.authToken || request.path !== path) return refuse(401, 20003, 'Authenticate');
      const form = (request.body ?? {}) as Record<string, string>;
      if (!form.To) return refuse(400, 21604, "A 'To' phone number is required.");
      if (!form.Body) return refuse(400, 21602, 'Message body is required.');
      if (!form.From && !form.MessagingServiceSid) return refuse(400, 21603, "A 'From' phone number is required.");
      if (!/^\+[1-9]\d{6,14}$/.test(form.To)) return refuse(400, 21211, `Invalid 'To' Phone Number: ${form.To}`);
      return undefined;
    },
    success(request) {
      const form = request.body as Record<string, string>;
      const sid = `SM${randomBytes(16).toString('hex')}`;
      return {
        status: 201,
        body: {
          sid,
          account_sid: options.accountSid,
          messaging_service_sid: form.MessagingServiceSid ?? null,
          to: form.To,
          from: form.From ?? null,
          body: form.Body,
          status: 'queued',
          num_segments: '1',
          num_media: '0',
          direction: 'outbound-api',
          api_version: '2010-04-01',
          price: null,
          price_unit: 'USD',
          error_code: null,
          error_message: null,
          date_created: new Date().toUTCString(),
          date_updated: new Date().toUTCString(),
          date_sent: null,
          uri: `/2010-04-01/Accounts/${options.accountSid}/Messages/${sid}.json`,
          subresource_uris: { media: `/2010-04-01/Accounts/${options.accountSid}/Messages/${sid}/Media.json` },
        },
      };
    },
    error: (status) => refuse(status, status === 429 ? 20429 : 20500, statusText(status)),
  });
}

// ---------------------------------------------------------------------------------------------------------
// A webhook receiver: any POST, verified with the `standardwebhooks` package's own verifier (never Herald's
// code); a bad or missing signature is refused 401, as a receiver following the specification does.

export async function startFakeWebhookReceiver(options: { secret: string }): Promise<FakeProvider> {
  const verifier = new Webhook(options.secret);
  return startFake({
    gate(request) {
      if (request.method !== 'POST') return { status: 405, body: { error: 'Method Not Allowed' } };
      try {
        verifier.verify(request.raw, request.headers as Record<string, string>);
      } catch (error) {
        return { status: 401, body: { error: error instanceof Error ? error.message : 'invalid signature' } };
      }
      return undefined;
    },
    success: () => ({ status: 200, body: { received: true } }),
    error: (status) => ({ status, body: { error: statusText(status) } }),
  });
}

// ---------------------------------------------------------------------------------------------------------
// FCM: POST /v1/projects/:project/messages:send with a Bearer access token, plus the OAuth token endpoint

export type FcmErrorCode =
  | 'UNREGISTERED'
  | 'INVALID_ARGUMENT'
  | 'SENDER_ID_MISMATCH'
  | 'QUOTA_EXCEEDED'
  | 'UNAVAILABLE'
  | 'INTERNAL'
  | 'THIRD_PARTY_AUTH_ERROR';

const GOOGLE_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};
const FCM_CODE: Record<number, FcmErrorCode> = {
  400: 'INVALID_ARGUMENT',
  403: 'SENDER_ID_MISMATCH',
  404: 'UNREGISTERED',
  429: 'QUOTA_EXCEEDED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

function googleError(status: number, message: string, errorCode?: FcmErrorCode): Answer {
  return {
    status,
    body: {
      error: {
        code: status,
        message,
        status: GOOGLE_STATUS[status] ?? 'UNKNOWN',
        ...(errorCode ? { details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }] } : {}),
      },
    },
  };
}

/** FCM's error body (Google's format, with the FcmError detail). */
export function fcmError(status: number, errorCode?: FcmErrorCode, message = statusText(status), headers?: Record<string, string>): ScriptedResponse {
  return { ...googleError(status, message, errorCode), ...(headers ? { headers } : {}) };
}

export interface FakeFcm extends FakeProvider {
  projectId: string;
  /** Access tokens the token endpoint has issued. */
  issuedTokens: string[];
  /** Trust service-account JWTs from `clientEmail` signed by this key (`writeTestServiceAccount` does it). */
  trustKey(clientEmail: string, publicKeyPem: string): void;
  /** FCM's verdict on a device token, whatever the script says: 404 UNREGISTERED or 400 INVALID_ARGUMENT. */
  rejectToken(token: string, reason: 'UNREGISTERED' | 'INVALID_ARGUMENT'): void;
}

export async function startFakeFcm(options: { projectId?: string } = {}): Promise<FakeFcm> {
  const projectId = options.projectId ?? 'herald-test';
  const keys = new Map<string, string>();
  const issuedTokens: string[] = [];
  const rejected = new Map<string, 'UNREGISTERED' | 'INVALID_ARGUMENT'>();
  let counter = 0;

  /** Google's token endpoint: a JWT-bearer grant signed by a trusted service-account key. */
  const token = (request: ReceivedRequest): Answer => {
    const form = (request.body ?? {}) as Record<string, string>;
    const invalid = (description: string): Answer => ({ status: 400, body: { error: 'invalid_grant', error_description: description } });
    if (form.grant_type !== 'urn:ietf:params:oauth:grant-type:jwt-bearer' || !form.assertion) return invalid('Invalid grant_type or missing assertion.');
    const [header, payload, signature] = form.assertion.split('.');
    if (!header || !payload || !signature) return invalid('Invalid JWT.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: string; scope?: string; aud?: string; exp?: number };
    const key = claims.iss ? keys.get(claims.iss) : undefined;
    if (!key) return invalid('Invalid issuer.');
    const verify = createVerify('RSA-SHA256');
    verify.update(`${header}.${payload}`);
    if (!verify.verify(key, Buffer.from(signature, 'base64url'))) return invalid('Invalid JWT Signature.');
    if (!claims.exp || claims.exp * 1000 < Date.now()) return invalid('Token has expired.');
    if (claims.aud !== `${fake.url}/token` && claims.aud !== 'https://oauth2.googleapis.com/token') return invalid('Invalid JWT audience.');
    if (!claims.scope?.includes('https://www.googleapis.com/auth/firebase.messaging'))
      return { status: 400, body: { error: 'invalid_scope', error_description: 'Missing the firebase.messaging scope.' } };
    const accessToken = `ya29.fake-${randomBytes(24).toString('base64url')}`;
    issuedTokens.push(accessToken);
    return { status: 200, body: { access_token: accessToken, expires_in: 3599, token_type: 'Bearer' } };
  };

  const fake = await startFake({
    gate(request) {
      if (request.method === 'POST' && request.path === '/token') return token(request);
      const match = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(request.path);
      if (request.method !== 'POST' || !match) return googleError(404, `The requested URL ${request.path} was not found on this server.`);
      const bearer = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
      if (!bearer || !issuedTokens.includes(bearer)) {
        return googleError(
          401,
          'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
        );
      }
      if (match[1] !== projectId) return googleError(403, 'SenderId mismatch', 'SENDER_ID_MISMATCH');
      const device = (request.body as { message?: { token?: string } } | undefined)?.message?.token;
      if (!device) return googleError(400, "Invalid value at 'message': no recipient (token, topic or condition).", 'INVALID_ARGUMENT');
      const verdict = rejected.get(device);
      if (verdict === 'UNREGISTERED') return googleError(404, 'Requested entity was not found.', 'UNREGISTERED');
      if (verdict === 'INVALID_ARGUMENT') return googleError(400, 'The registration token is not a valid FCM registration token', 'INVALID_ARGUMENT');
      return undefined;
    },
    success: () => ({ status: 200, body: { name: `projects/${projectId}/messages/${Date.now()}${++counter}` } }),
    error: (status) => googleError(status, statusText(status), FCM_CODE[status]),
  });

  return {
    ...fake,
    projectId,
    issuedTokens,
    trustKey(clientEmail, publicKeyPem) {
      keys.set(clientEmail, publicKeyPem);
    },
    rejectToken(device, reason) {
      rejected.set(device, reason);
    },
    reset() {
      fake.reset();
      rejected.clear();
    },
  };
}

export interface TestServiceAccount {
  /** Where the JSON file was written. */
  path: string;
  /** The file's content. */
  json: string;
  projectId: string;
  clientEmail: string;
  privateKey: string;
  privateKeyId: string;
}

/**
 * Writes a throwaway service-account JSON for the fake FCM: a fresh RSA key (which the fake is told to
 * trust) and `token_uri` pointing at the fake. Note that google-auth-library v11 does not read `token_uri`
 * (it posts to oauth2.googleapis.com/token); the FCM adapter's `apiUrl` routes that request to the fake.
 */
export function writeTestServiceAccount(fcm: FakeFcm, dir: string = mkdtempSync(join(tmpdir(), 'herald-sa-'))): TestServiceAccount {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const clientEmail = `herald-test-${randomUUID().slice(0, 8)}@${fcm.projectId}.iam.gserviceaccount.com`;
  const privateKeyId = randomBytes(20).toString('hex');
  fcm.trustKey(clientEmail, publicKey);
  const json = JSON.stringify(
    {
      type: 'service_account',
      project_id: fcm.projectId,
      private_key_id: privateKeyId,
      private_key: privateKey,
      client_email: clientEmail,
      client_id: String(randomBytes(8).readBigUInt64BE()),
      auth_uri: `${fcm.url}/o/oauth2/auth`,
      token_uri: `${fcm.url}/token`,
      auth_provider_x509_cert_url: `${fcm.url}/oauth2/v1/certs`,
      universe_domain: 'googleapis.com',
    },
    null,
    2,
  );
  const path = join(dir, 'service-account.json');
  writeFileSync(path, json, { mode: 0o600 });
  return { path, json, projectId: fcm.projectId, clientEmail, privateKey, privateKeyId };
}
