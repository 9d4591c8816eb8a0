/**
 * Provider adapters: sends/s through each real SDK (@sendgrid/mail, twilio, firebase-admin) to the local
 * fakes over loopback, next to the sandbox adapter in the same run — the ratio is what an SDK and its HTTP
 * round trip cost over recording a message. Adapters are driven directly (no database), `concurrency` at once.
 */
import type { Channel, Provider } from '../compiler/bundle/schema.ts';
import { createFcmProvider } from '../runtime/delivery/providers/fcm.ts';
import { createSandboxProvider } from '../runtime/delivery/providers/sandbox.ts';
import { createSendgridProvider } from '../runtime/delivery/providers/sendgrid.ts';
import { createTwilioProvider } from '../runtime/delivery/providers/twilio.ts';
import type { DeliveryProvider, OutboundMessage } from '../runtime/delivery/providers/types.ts';
import { startFakeFcm, startFakeSendgrid, startFakeTwilio, writeTestServiceAccount } from '../test/fakes/providers.ts';
import { pool, summary } from './stats.ts';

const CONCURRENCY = 16;

function message(channel: Channel, kind: Provider['kind'], i: number): OutboundMessage {
  const content =
    channel === 'email'
      ? { subject: `Bench ${i}`, text: `Hello ${i}`, html: `<p>Hello ${i}</p>` }
      : channel === 'sms'
        ? { body: `Hello ${i}` }
        : { title: `Bench ${i}`, body: `Hello ${i}` };
  return {
    messageId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    runId: '00000000-0000-4000-8000-000000000000',
    channel,
    provider: { id: kind, channel, kind, credentials: {}, from: channel === 'email' ? 'bench@example.com' : '+15005550006', options: {} },
    to: { userId: `u${i}`, email: `u${i}@example.com`, phone_number: '+15555550100', push_tokens: [`token-${i}`] },
    content,
    statusCallbackUrl: 'http://127.0.0.1:1/webhooks/twilio/status',
  } satisfies OutboundMessage;
}

async function measure(adapter: DeliveryProvider, channel: Channel, kind: Provider['kind'], count: number) {
  const latencies: number[] = [];
  let failed = 0;
  const started = performance.now();
  await pool(count, CONCURRENCY, async (i) => {
    const t = performance.now();
    const result = await adapter.send(message(channel, kind, i));
    latencies.push(performance.now() - t);
    if (!result.ok) failed++;
  });
  const seconds = (performance.now() - started) / 1000;
  return { sendsPerSecond: Math.round(count / seconds), failed, latencyMs: summary(latencies) };
}

export async function benchProviders(options: { quick: boolean }) {
  const count = options.quick ? 300 : 2_000;
  const [sendgrid, twilio, fcm] = await Promise.all([
    startFakeSendgrid({ apiKey: 'SG.bench' }),
    startFakeTwilio({ accountSid: 'AC00000000000000000000000000000001', authToken: 'bench-token' }),
    startFakeFcm(),
  ]);
  const account = writeTestServiceAccount(fcm);
  const fcmAdapter = createFcmProvider({ serviceAccount: account.path, apiUrl: fcm.url });
  try {
    const sandbox = await measure(createSandboxProvider(), 'email', 'sandbox', count);
    const ratio = (r: { sendsPerSecond: number }) => +(r.sendsPerSecond / sandbox.sendsPerSecond).toFixed(4);
    const sdk = {
      sendgrid: await measure(createSendgridProvider({ apiKey: 'SG.bench', apiUrl: sendgrid.url }), 'email', 'sendgrid', count),
      twilio: await measure(
        createTwilioProvider({ accountSid: 'AC00000000000000000000000000000001', authToken: 'bench-token', apiUrl: twilio.url }),
        'sms',
        'twilio',
        count,
      ),
      fcm: await measure(fcmAdapter, 'push', 'fcm', count),
    };
    return {
      sends: count,
      concurrency: CONCURRENCY,
      baselineSandbox: sandbox,
      ...Object.fromEntries(Object.entries(sdk).map(([k, v]) => [k, { ...v, ratioToSandbox: ratio(v) }])),
    };
  } finally {
    await fcmAdapter.close();
    await Promise.all([sendgrid.close(), twilio.close(), fcm.close()]);
  }
}
