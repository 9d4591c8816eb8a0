/**
 * The contract every delivery provider adapter passes (the real SDK adapters join this list when they come):
 * a reachable recipient gets `ok` with a provider message id and a JSON response the message log can keep;
 * expected failures come back as results, never as exceptions. In-app writes to the real inbox table.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Channel, Provider } from '../../compiler/bundle/schema.ts';
import { migrate } from '../../runtime/db/migrate.ts';
import { openDatabase, type Database } from '../../runtime/db/pool.ts';
import { inappProvider } from '../../runtime/providers/inapp.ts';
import { createSandboxProvider, type SandboxDelivery } from '../../runtime/providers/sandbox.ts';
import type { DeliveryProvider, OutboundMessage } from '../../runtime/providers/types.ts';
import type { RenderedContent } from '../../runtime/render/render.ts';
import { freshDatabase } from '../setup/database.ts';

let db: Database;
beforeAll(async () => {
  db = openDatabase(await freshDatabase('providers'));
  await migrate(db);
});
afterAll(async () => {
  await db?.close();
});

const recorded: SandboxDelivery[] = [];
const CONTENT: Record<Channel, RenderedContent> = {
  email: { subject: 'Welcome, Ada', text: 'Hi Ada', html: '<p>Hi Ada</p>' },
  sms: { body: 'Hi Ada' },
  push: { title: 'Welcome', body: 'Hi Ada' },
  inapp: { title: 'Welcome', body: 'Hi Ada', actionUrl: '/start' },
};

const adapters: { name: string; channels: Channel[]; adapter: () => DeliveryProvider }[] = [
  { name: 'sandbox', channels: ['email', 'sms', 'push'], adapter: () => createSandboxProvider((d) => recorded.push(d)) },
  { name: 'inapp', channels: ['inapp'], adapter: () => inappProvider },
];

function provider(kind: Provider['kind'], channel: Channel): Provider {
  return { id: `${kind}-${channel}`, channel, kind, credentials: {}, options: {} };
}

/** Runs `fn` with a message for `channel` inside a transaction, as the driver does. */
function withMessage<T>(
  channel: Channel,
  kind: Provider['kind'],
  fn: (message: OutboundMessage) => Promise<T>,
  to: Partial<OutboundMessage['to']> = {},
): Promise<T> {
  return db.transaction((tx) =>
    fn({
      messageId: randomUUID(),
      runId: randomUUID(),
      channel,
      provider: provider(kind, channel),
      to: { userId: 'ada', email: 'ada@example.com', phone_number: '+15555550100', push_tokens: ['token-1'], ...to },
      content: CONTENT[channel],
      tx,
    }),
  );
}

describe.each(adapters)('$name adapter', ({ name, channels, adapter }) => {
  it.each(channels)('accepts a %s message for a reachable recipient, with a response the log can keep', async (channel) => {
    const result = await withMessage(channel, name === 'inapp' ? 'inapp' : 'sandbox', (m) => adapter().send(m));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.providerMessageId).toMatch(/\S/);
    expect(JSON.parse(JSON.stringify(result.response))).toEqual(result.response);
  });

  it('answers an unreachable recipient with a result, not an exception', async () => {
    const channel = channels[0]!;
    const result = await withMessage(channel, name === 'inapp' ? 'inapp' : 'sandbox', (m) => adapter().send(m), {
      userId: null,
      email: null,
      phone_number: null,
      push_tokens: [],
    });
    expect(typeof result.ok).toBe('boolean');
    if (!result.ok) expect(result.error).toMatch(/\S/);
  });
});

describe('sandbox', () => {
  it('records what it would have sent, to whom', async () => {
    recorded.length = 0;
    await withMessage('sms', 'sandbox', (m) => createSandboxProvider((d) => recorded.push(d)).send(m));
    expect(recorded).toEqual([expect.objectContaining({ channel: 'sms', to: '+15555550100', content: { body: 'Hi Ada' } })]);
  });
});

describe('inapp', () => {
  it('writes one inbox item per message, even when the message is handed over twice', async () => {
    const messageId = randomUUID();
    const send = () =>
      db.transaction((tx) =>
        inappProvider.send({
          messageId,
          runId: randomUUID(),
          channel: 'inapp',
          provider: provider('inapp', 'inapp'),
          to: { userId: 'bea' },
          content: CONTENT.inapp,
          tx,
        }),
      );
    const [first, second] = [await send(), await send()];
    expect(first).toEqual(second);
    const items = await db.query<{ title: string; action_url: string }>('SELECT title, action_url FROM herald.inbox WHERE user_id = $1', ['bea']);
    expect(items.rows).toEqual([{ title: 'Welcome', action_url: '/start' }]);
  });

  it('refuses a message without a user id, as a permanent failure', async () => {
    const result = await withMessage('inapp', 'inapp', (m) => inappProvider.send(m), { userId: null });
    expect(result).toEqual({ ok: false, retryable: false, error: 'in-app messages need a user id' });
  });
});
