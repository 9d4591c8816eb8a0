/**
 * Email through SendGrid's v3 Mail Send API, with SendGrid's own SDK. Each adapter owns a fresh `MailService`
 * and `Client`: the packages' default exports are process-wide singletons, and two providers (two accounts,
 * or a test against a fake) must not share an API key or base URL.
 *
 * `customArgs` carry Herald's message and run ids: SendGrid copies them into every event webhook, which is
 * how delivery events find their message again.
 */
import { Client } from '@sendgrid/client';
import { MailService, type MailDataRequired } from '@sendgrid/mail';
import type { AxiosAdapter } from 'axios';
import { createRedactor, httpFailure, permanentFailure, transportFailure, type HeaderSource } from './failure.ts';
import { leanAdapterFor } from './http-adapter.ts';
import type { CredentialCheck, DeliveryProvider, DeliveryResult, OutboundMessage } from './types.ts';

export interface SendgridConfig {
  apiKey: string;
  /** Sender when the provider declares none ("Name <address>" or a bare address). */
  from?: string;
  /** Base URL of the API (a regional host, a proxy, a fake in tests); SendGrid's by default. */
  apiUrl?: string;
  /** Per request; the job holds its run while it waits. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** Axios options the SDK passes through but does not declare. */
interface AxiosTransport {
  maxRedirects: number;
  adapter?: AxiosAdapter;
}

/** What the SDK rejects with on an HTTP error (`ResponseError` from @sendgrid/helpers), narrowed to what we read. */
interface SendgridResponseError {
  code: number;
  response: { headers?: HeaderSource; body?: unknown };
}

function isResponseError(error: unknown): error is SendgridResponseError {
  const e = error as Partial<SendgridResponseError> | null;
  return !!e && typeof e === 'object' && typeof e.code === 'number' && !!e.response && typeof e.response === 'object';
}

/** SendGrid's error body: `{ errors: [{ message, field, help }] }`, flattened to one line. */
function errorText(body: unknown): string | undefined {
  const errors = (body as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors)) return typeof body === 'string' && body ? body : undefined;
  const parts = errors
    .map((e: { message?: unknown; field?: unknown }) =>
      typeof e?.message === 'string' ? e.message + (typeof e.field === 'string' && e.field ? ` [${e.field}]` : '') : '',
    )
    .filter(Boolean);
  return parts.length ? parts.join('; ') : undefined;
}

/**
 * Header-bound text is rendered from user data (event properties, traits): a line break there would end the
 * header and start another (`Bcc:` injection). Breaks become spaces; the rest of the text is kept.
 */
const oneLine = (value: string) => value.replace(/[\r\n]+/g, ' ');
const oneLineHeaders = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [oneLine(k), oneLine(v)]));

export function createSendgridProvider(config: SendgridConfig): DeliveryProvider {
  const client = new Client();
  client.setApiKey(config.apiKey);
  // after setApiKey, which resets the base URL to the account region's
  if (config.apiUrl) client.setDefaultRequest('baseUrl', config.apiUrl);
  // The SDK hands its default request to axios as is. Mail Send answers directly, never with a redirect, and
  // with redirects allowed axios routes every request through follow-redirects (a wrapper around each
  // request and response, ~0.1 ms of CPU a message); Twilio's SDK turns them off the same way. The transport
  // under axios is the lean one (http-adapter.ts) unless the environment names a proxy.
  const adapter = leanAdapterFor();
  client.setDefaultRequest({ maxRedirects: 0, ...(adapter ? { adapter } : {}) } satisfies AxiosTransport as unknown as Parameters<
    Client['setDefaultRequest']
  >[0]);
  const mail = new MailService();
  mail.setClient(client);
  mail.setTimeout(config.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const redactor = createRedactor([config.apiKey]);

  return {
    kind: 'sendgrid',
    async verify(): Promise<CredentialCheck> {
      try {
        const [response] = await client.request({ method: 'GET', url: '/v3/scopes' });
        const scopes = (response.body as { scopes?: unknown }).scopes;
        if (Array.isArray(scopes) && !scopes.includes('mail.send'))
          return { ok: false, why: 'the API key is accepted but lacks the mail.send scope: give it "Mail Send" access' };
        return { ok: true, detail: 'API key accepted (GET /v3/scopes)' };
      } catch (error) {
        const status = isResponseError(error) ? error.code : null;
        const text = isResponseError(error) ? errorText(error.response.body) : error instanceof Error ? error.message : String(error);
        return { ok: false, why: redactor.text(`${status ? `HTTP ${status}: ` : ''}${text}`) };
      }
    },
    async send(message: OutboundMessage): Promise<DeliveryResult> {
      const to = message.to.email;
      if (!to) return permanentFailure('sendgrid', 'no_address', 'the recipient has no email address');
      // The deployment's sender (SENDGRID_FROM / TWILIO_FROM, resolved by the registry) before the definition's.
      const from = config.from ?? message.provider.from;
      if (!from) return permanentFailure('sendgrid', 'no_sender', `provider "${message.provider.id}" has no from address`, { providerFault: true });
      const content = message.content as { subject?: string; html?: string; text?: string };
      const base = {
        to,
        from,
        subject: oneLine(content.subject ?? ''),
        ...(message.headers && Object.keys(message.headers).length ? { headers: oneLineHeaders(message.headers) } : {}),
        customArgs: { herald_message_id: message.messageId, herald_run_id: message.runId },
      };
      // SendGrid wants at least one body; a template without text or html gets an empty text part (and a 400).
      const data: MailDataRequired =
        content.html !== undefined
          ? { ...base, html: content.html, ...(content.text !== undefined ? { text: content.text } : {}) }
          : { ...base, text: content.text ?? '' };
      try {
        const [response] = await mail.send(data);
        const id = response.headers['x-message-id'];
        const providerMessageId = typeof id === 'string' && id ? id : `sendgrid-${message.messageId}`;
        return { ok: true, providerMessageId, response: redactor.json({ status: response.statusCode, messageId: providerMessageId }) };
      } catch (error) {
        if (isResponseError(error)) {
          const body = error.response.body;
          return httpFailure({ provider: 'sendgrid', status: error.code, headers: error.response.headers, message: errorText(body), body }, redactor);
        }
        return transportFailure('sendgrid', error, redactor);
      }
    },
  };
}
