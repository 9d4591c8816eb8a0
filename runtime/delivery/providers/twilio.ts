/**
 * SMS through Twilio's Programmable Messaging API, with Twilio's own SDK (`messages.create`). The message's
 * status callback URL goes along, so Twilio reports delivery back to Herald. A refusal because the recipient
 * replied STOP (21610) comes back with `optOut`, which the delivery code records on the profile.
 *
 * Base URL seam: the SDK builds absolute `https://api.twilio.com/...` URIs and hands every request to the
 * client's `httpClient` (a documented `ClientOpts` option, typed as the SDK's `RequestClient`). The adapter
 * passes a `RequestClient` subclass that, when `apiUrl` is set, swaps each URI's origin (and prefixes the
 * path of `apiUrl`, if any) before the stock client sends it — auth, form encoding and timeouts stay the
 * SDK's own.
 *
 * The same subclass keeps the response headers of the request it served: the SDK's `RestException` drops
 * them, and a 429's Retry-After lives there. An AsyncLocalStorage slot ties headers to the send that asked,
 * since one client serves concurrent sends.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import { createRedactor, httpFailure, permanentFailure, transportFailure, type HeaderSource } from './failure.ts';
import { type CredentialCheck, type DeliveryProvider, type DeliveryResult, type OutboundMessage, twilioOptOut } from './types.ts';

export interface TwilioConfig {
  accountSid: string;
  authToken: string;
  /** Sender number when the provider declares none. */
  from?: string;
  /** Send through a Messaging Service (its sender pool) instead of one number; takes precedence over `from`. */
  messagingServiceSid?: string;
  /** Base URL every SDK request goes to instead of Twilio's hosts (a fake in tests, a proxy). */
  apiUrl?: string;
  /** Per request; the job holds its run while it waits. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** Twilio error codes that mean "slow down" whatever HTTP status carries them. */
const RATE_LIMIT_CODES = new Set([20429, 14107]);

interface ResponseSlot {
  headers?: HeaderSource;
}
const lastResponse = new AsyncLocalStorage<ResponseSlot>();

/** `RequestClient` that optionally rebases every URI onto `apiUrl`, and remembers the response headers. */
class HeraldRequestClient extends twilio.RequestClient {
  readonly #base: URL | undefined;

  constructor(options: RequestClient.RequestClientOptions, apiUrl: string | undefined) {
    super(options);
    this.#base = apiUrl ? new URL(apiUrl) : undefined;
  }

  override async request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const response = await super.request({ ...opts, uri: this.#rebase(opts.uri) });
    const slot = lastResponse.getStore();
    if (slot) slot.headers = response.headers as HeaderSource;
    return response;
  }

  #rebase(uri: string): string {
    if (!this.#base) return uri;
    const original = new URL(uri);
    const prefix = this.#base.pathname.replace(/\/+$/, '');
    return new URL(`${prefix}${original.pathname}${original.search}`, this.#base.origin).href;
  }
}

/** What the SDK throws for an HTTP error (`RestException`, or `TwilioServiceException` for RFC 9457 bodies). */
interface TwilioRestError {
  status: number;
  code?: number;
  message?: string;
  moreInfo?: string;
}

function isRestError(error: unknown): error is TwilioRestError {
  return error instanceof Error && typeof (error as Partial<TwilioRestError>).status === 'number';
}

export function createTwilioProvider(config: TwilioConfig): DeliveryProvider {
  const timeout = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const client = twilio(config.accountSid, config.authToken, {
    httpClient: new HeraldRequestClient({ timeout }, config.apiUrl),
    // Herald retries (and fails over) itself; the SDK's own 429 retries would hide the Retry-After.
    autoRetry: false,
  });
  const redactor = createRedactor([config.authToken, Buffer.from(`${config.accountSid}:${config.authToken}`).toString('base64')]);

  return {
    kind: 'twilio',
    async verify(): Promise<CredentialCheck> {
      try {
        const account = await client.api.v2010.accounts(config.accountSid).fetch();
        if (account.status !== 'active') return { ok: false, why: `the account is ${account.status}, not active` };
        return { ok: true, detail: `account ${config.accountSid} active` };
      } catch (error) {
        const e = error as { status?: number; code?: number; message?: string };
        return {
          ok: false,
          why: redactor.text(`${e.status ? `HTTP ${e.status}` : 'no answer'}${e.code ? ` (code ${e.code})` : ''}: ${e.message ?? String(error)}`),
        };
      }
    },
    async send(message: OutboundMessage): Promise<DeliveryResult> {
      const to = message.to.phone_number;
      if (!to) return permanentFailure('twilio', 'no_address', 'the recipient has no phone number');
      // The deployment's sender (SENDGRID_FROM / TWILIO_FROM, resolved by the registry) before the definition's.
      const from = config.from ?? message.provider.from;
      const sender = config.messagingServiceSid ? { messagingServiceSid: config.messagingServiceSid } : from ? { from } : undefined;
      if (!sender)
        return permanentFailure('twilio', 'no_sender', `provider "${message.provider.id}" has neither a from number nor a messaging service`, {
          providerFault: true,
        });
      const content = message.content as { body?: string };
      const slot: ResponseSlot = {};
      try {
        const sent = await lastResponse.run(slot, () =>
          client.messages.create({
            to,
            body: content.body ?? '',
            ...sender,
            ...(message.statusCallbackUrl ? { statusCallback: message.statusCallbackUrl } : {}),
          }),
        );
        return {
          ok: true,
          providerMessageId: sent.sid,
          response: redactor.json({ sid: sent.sid, status: sent.status, numSegments: sent.numSegments, errorCode: sent.errorCode }),
        };
      } catch (error) {
        if (isRestError(error)) {
          const rateLimited = error.code !== undefined && RATE_LIMIT_CODES.has(error.code);
          const failure = httpFailure(
            {
              provider: 'twilio',
              status: error.status,
              headers: slot.headers,
              ...(error.code !== undefined ? { code: error.code } : {}),
              ...(error.message ? { message: error.message } : {}),
              ...(rateLimited ? { retryable: true } : {}),
              body: { code: error.code, message: error.message, more_info: error.moreInfo, status: error.status },
            },
            redactor,
          );
          const optOut = twilioOptOut(error.code);
          return optOut ? { ...failure, optOut } : failure;
        }
        return transportFailure('twilio', error, redactor);
      }
    },
  };
}
