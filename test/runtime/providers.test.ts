/**
 * What the sandbox and in-app adapters promise beyond the contract every adapter passes
 * (provider-contract.test.ts): the sandbox records what it would have sent; in-app writes to the real inbox
 * table, through the inbox port the delivery code builds on the job's transaction.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Channel, Provider } from '../../compiler/bundle/schema.ts';
import { upgradeSchema } from '../../runtime/db/schema.ts';
import { openDatabase, type Database } from '../../runtime/db/pool.ts';
import { inboxOn } from '../../runtime/inbox/store.ts';
import { inappProvider } from '../../runtime/delivery/providers/inapp.ts';
import { createSandboxProvider, type SandboxDelivery } from '../../runtime/delivery/providers/sandbox.ts';
import type { OutboundMessage } from '../../runtime/delivery/providers/types.ts';
import type { RenderedContent } from '../../runtime/render/index.ts';
import { freshDatabase } from '../setup/database.ts';
import { newTimeOrderedId } from '../../runtime/db/time-ordered-id.ts';

let db: Database;
beforeAll(async () => {
  db = openDatabase(await freshDatabase('providers'));
  await upgradeSchema(db);
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
  webhook: { body: { event: 'welcome' } },
};

function provider(kind: Provider['kind'], channel: Channel): Provider {
  return { id: `${kind}-${channel}`, channel, kind, credentials: {}, options: {} };
}

/** Runs `fn` with a message for `channel` inside a transaction, with the inbox on it, as the driver does. */
function withMessage<T>(
  channel: Channel,
  kind: Provider['kind'],
  fn: (message: OutboundMessage) => Promise<T>,
  to: Partial<OutboundMessage['to']> = {},
): Promise<T> {
  return db.transaction((tx) =>
    fn({
      messageId: newTimeOrderedId(),
      runId: randomUUID(),
      channel,
      provider: provider(kind, channel),
      to: { userId: 'ada', email: 'ada@example.com', phone_number: '+15555550100', push_tokens: ['token-1'], ...to },
      content: CONTENT[channel],
      inbox: inboxOn(tx),
    }),
  );
}

describe('sandbox', () => {
  it('records what it would have sent, to whom', async () => {
    recorded.length = 0;
    await withMessage('sms', 'sandbox', (m) => createSandboxProvider((d) => recorded.push(d)).send(m));
    expect(recorded).toEqual([expect.objectContaining({ channel: 'sms', to: '+15555550100', content: { body: 'Hi Ada' } })]);
  });
});

describe('inapp', () => {
  it('writes one inbox item per message, even when the message is handed over twice', async () => {
    // As the driver makes them: the id carries the time, which places the item (and finds it again).
    const messageId = newTimeOrderedId();
    const send = () =>
      db.transaction((tx) =>
        inappProvider.send({
          messageId,
          runId: randomUUID(),
          channel: 'inapp',
          provider: provider('inapp', 'inapp'),
          to: { userId: 'bea' },
          content: CONTENT.inapp,
          inbox: inboxOn(tx),
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
