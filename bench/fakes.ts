/**
 * The destinations messages are counted at: the fakes of SendGrid and Twilio (test/fakes/providers.ts) in
 * the bench process, reached by the runtime's real SDKs over loopback. A message counts once the fake
 * accepted it, so "messages/s" is what arrives, not what the runtime believes it sent.
 */
import { startFakeSendgrid, startFakeTwilio, type FakeProvider } from '../test/fakes/providers.ts';

const SENDGRID_KEY = 'SG.bench';
const TWILIO_SID = `AC${'0'.repeat(31)}1`;
const TWILIO_TOKEN = 'bench-twilio-token';

export interface Destinations {
  sendgrid: FakeProvider;
  twilio: FakeProvider;
  /** For the bench tree: its email provider names BENCH_SENDGRID_KEY. */
  benchEnv: Record<string, string>;
  /** For the example bundle: SendGrid and Twilio under their own variable names. */
  seedEnv: Record<string, string>;
  /** Messages the fakes accepted so far. */
  accepted(): number;
  /** Forgets what was received (between passes: the requests list holds every body). */
  reset(): void;
  close(): Promise<void>;
}

/**
 * Counts a fake's accepted requests, looking only at those that arrived since the last call (it is polled
 * while tens of thousands arrive). The fakes answer synchronously, so a request in the list has its answer.
 */
function counter(fake: FakeProvider) {
  let seen = 0;
  let accepted = 0;
  return {
    count() {
      for (; seen < fake.requests.length; seen++) if ((fake.requests[seen]!.answer?.status ?? 500) < 300) accepted++;
      return accepted;
    },
    reset() {
      fake.reset();
      seen = accepted = 0;
    },
  };
}

export async function startDestinations(): Promise<Destinations> {
  const sendgrid = await startFakeSendgrid({ apiKey: SENDGRID_KEY });
  const twilio = await startFakeTwilio({ accountSid: TWILIO_SID, authToken: TWILIO_TOKEN });
  const counters = [counter(sendgrid), counter(twilio)];
  return {
    sendgrid,
    twilio,
    benchEnv: { BENCH_SENDGRID_KEY: SENDGRID_KEY, SENDGRID_API_URL: sendgrid.url },
    seedEnv: {
      SENDGRID_API_KEY: SENDGRID_KEY,
      SENDGRID_API_URL: sendgrid.url,
      TWILIO_ACCOUNT_SID: TWILIO_SID,
      TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
      TWILIO_API_URL: twilio.url,
    },
    accepted: () => counters.reduce((n, c) => n + c.count(), 0),
    reset: () => counters.forEach((c) => c.reset()),
    async close() {
      await sendgrid.close();
      await twilio.close();
    },
  };
}
