/** The outbox's pure parts: the retry schedule, the Segment spec names and properties, what views show of a URL, replay cursors. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_AGE_MS, retryIn } from './backoff.ts';
import { checkEndpointId, originOf, parseReplayCursor } from './endpoints.ts';
import { segmentTrack } from './segment.ts';

describe('retryIn', () => {
  const policy = { baseMs: 5_000, maxAgeMs: DEFAULT_MAX_AGE_MS };
  it('doubles from the base, capped at an hour', () => {
    expect([1, 2, 3, 4].map((n) => retryIn(n, 0, 0, policy))).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(retryIn(20, 0, 0, policy)).toBe(60 * 60 * 1000);
  });
  it('gives up (dead letter) once the next attempt would fall past 3 days', () => {
    expect(retryIn(30, 0, DEFAULT_MAX_AGE_MS - 2 * 60 * 60 * 1000, policy)).toBe(60 * 60 * 1000);
    expect(retryIn(30, 0, DEFAULT_MAX_AGE_MS - 30 * 60 * 1000, policy)).toBeNull();
  });
});

describe('segmentTrack', () => {
  const event = (type: string, data: Record<string, unknown>) => ({ id: 'e1', type, timestamp: '2025-01-01T00:00:00.000Z', data });
  const email = { user_id: 'u1', message_id: 'm1', workflow: 'onboarding', channel: 'email', subject: 'Welcome' };
  it("names email engagement as Segment's Email spec does, with its properties", () => {
    expect(segmentTrack(event('message.delivered', email))).toEqual({
      userId: 'u1',
      event: 'Email Delivered',
      messageId: 'e1',
      timestamp: '2025-01-01T00:00:00.000Z',
      properties: { email_id: 'm1', email_subject: 'Welcome', campaign_id: 'onboarding', campaign_name: 'onboarding', campaign_method: 'herald' },
    });
    expect(segmentTrack(event('message.clicked', { ...email, detail: { url: 'https://x.example' } }))?.properties.link_url).toBe('https://x.example');
    expect(segmentTrack(event('message.bounced', email))?.event).toBe('Email Bounced');
    expect(segmentTrack(event('user.unsubscribed', { user_id: 'u1', channel: 'email' }))?.event).toBe('Unsubscribed');
  });
  it('names push as the Mobile spec does, and leaves out what no spec names', () => {
    expect(segmentTrack(event('message.delivered', { ...email, channel: 'push' }))?.event).toBe('Push Notification Received');
    expect(segmentTrack(event('message.opened', { ...email, channel: 'push' }))?.event).toBe('Push Notification Tapped');
    expect(segmentTrack(event('message.delivered', { ...email, channel: 'sms' }))).toBeNull();
    expect(segmentTrack(event('message.delivered', { ...email, user_id: undefined }))).toBeNull();
  });
});

describe('originOf', () => {
  it("keeps only an endpoint URL's origin: the path of a Slack or Zapier hook is its credential", () => {
    expect(originOf('https://hooks.slack.com/services/T0/B0/secret?x=1')).toBe('https://hooks.slack.com');
    expect(originOf('https://user:pw@example.com:8443/hook')).toBe('https://example.com:8443');
    expect(originOf(null)).toBe('');
    expect(originOf('not a url')).toBe('');
  });
});

describe('replay cursors and endpoint ids', () => {
  it('takes an event id, a time with its offset, or a day; refuses the rest', () => {
    expect(parseReplayCursor('0190A1B2-0000-7000-8000-00000000000A')).toEqual({ eventId: '0190a1b2-0000-7000-8000-00000000000a' });
    expect(parseReplayCursor('2025-01-31T01:00:00.5+01:00')).toEqual({ at: '2025-01-31T00:00:00.500Z' });
    expect(parseReplayCursor('2025-01-31')).toEqual({ at: '2025-01-31T00:00:00.000Z' });
    for (const since of [undefined, 'yesterday', '2025-01-31T00:00', '2025-02-30', '0190a1b2-0000-7000-8000']) {
      expect(() => parseReplayCursor(since)).toThrow(/since: give an ISO-8601 time/);
    }
  });

  it('answers 404 for an endpoint id that is not a UUID', () => {
    expect(checkEndpointId('00000000-0000-4000-8000-00000000000A')).toBe('00000000-0000-4000-8000-00000000000a');
    expect(() => checkEndpointId('not-an-id')).toThrow(/no webhook endpoint "not-an-id"/);
  });
});
