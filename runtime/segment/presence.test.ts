import { describe, expect, it } from 'vitest';
import { countsAsPresence } from './presence.ts';
import { segmentEventSchema } from './schema.ts';

const call = (raw: Record<string, unknown>) => segmentEventSchema.parse({ userId: 'u1', ...raw });
const identify = (context?: Record<string, unknown>) => call({ type: 'identify', traits: {}, ...(context ? { context } : {}) });

describe('presence from Segment calls', () => {
  it('counts page and screen calls, whatever sent them', () => {
    expect(countsAsPresence(call({ type: 'page', name: 'Home', context: { library: { name: '@segment/analytics-node' } } }))).toBe(true);
    expect(countsAsPresence(call({ type: 'screen', name: 'Home' }))).toBe(true);
  });

  it("does not count a server library's identify or track, even with device fields", () => {
    expect(countsAsPresence(identify({ library: { name: '@segment/analytics-node', version: '2.1.0' } }))).toBe(false);
    expect(countsAsPresence(identify({ library: { name: 'analytics-python' }, device: { id: 'd1', token: 't' } }))).toBe(false);
    expect(countsAsPresence(call({ type: 'track', event: 'x', context: { library: { name: 'analytics-ruby' } } }))).toBe(false);
  });

  it("counts a browser's or a phone's calls", () => {
    expect(countsAsPresence(identify({ library: { name: 'analytics.js' } }))).toBe(true);
    expect(countsAsPresence(call({ type: 'track', event: 'x', context: { library: { name: 'analytics-ios' } } }))).toBe(true);
  });

  it('reads the context when no known library says: page, device, user agent yes; nothing (or a push token only) no', () => {
    expect(countsAsPresence(identify())).toBe(false);
    expect(countsAsPresence(identify({ timezone: 'Europe/Paris', device: { token: 'tok' } }))).toBe(false);
    expect(countsAsPresence(identify({ library: { name: 'homegrown' } }))).toBe(false);
    expect(countsAsPresence(identify({ userAgent: 'Mozilla/5.0' }))).toBe(true);
    expect(countsAsPresence(identify({ page: { path: '/pricing' } }))).toBe(true);
    expect(countsAsPresence(identify({ device: { model: 'Pixel 8', token: 'tok' } }))).toBe(true);
  });
});
