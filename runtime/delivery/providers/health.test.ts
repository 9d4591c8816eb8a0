import { describe, expect, it } from 'vitest';
import { createProviderHealth } from './health.ts';

const policy = { windowMs: 10_000, minAttempts: 4, failureRate: 0.5, coolDownMs: 5_000 };

describe('provider health', () => {
  it('stays closed below the minimum number of attempts, whatever they were', () => {
    const health = createProviderHealth(policy);
    for (let i = 0; i < 3; i++) health.record('sg', { ok: false, latencyMs: 10, now: 1_000 + i });
    expect(health.state('sg', 1_010)).toBe('closed');
    expect(health.allow('sg', 1_010)).toBe(true);
  });

  it('opens at the failure rate, refuses during the cool-down, then lets one probe through', () => {
    const health = createProviderHealth(policy);
    health.record('sg', { ok: true, latencyMs: 10, now: 1_000 });
    for (let i = 0; i < 3; i++) health.record('sg', { ok: false, latencyMs: 10, now: 1_001 + i });
    expect(health.state('sg', 1_010)).toBe('open');
    expect(health.allow('sg', 5_999)).toBe(false);
    expect(health.allow('sg', 6_010)).toBe(true); // the probe
    expect(health.allow('sg', 6_011)).toBe(false); // only one at a time
    health.record('sg', { ok: true, latencyMs: 12, now: 6_020 });
    expect(health.state('sg', 6_021)).toBe('closed');
    expect(health.allow('sg', 6_022)).toBe(true);
  });

  it('re-opens when the probe fails', () => {
    const health = createProviderHealth(policy);
    for (let i = 0; i < 4; i++) health.record('sg', { ok: false, latencyMs: 10, now: 1_000 + i });
    expect(health.allow('sg', 7_000)).toBe(true);
    health.record('sg', { ok: false, latencyMs: 10, now: 7_001 });
    expect(health.state('sg', 7_002)).toBe('open');
    expect(health.allow('sg', 7_003)).toBe(false);
  });

  it('forgets outcomes older than the window, and reports rate and latency per provider', () => {
    const health = createProviderHealth(policy);
    for (let i = 0; i < 3; i++) health.record('sg', { ok: false, latencyMs: 100, now: 1_000 + i });
    for (let i = 0; i < 3; i++) health.record('sg', { ok: true, latencyMs: 20 + i, now: 20_000 + i });
    const [report] = health.report(20_010, ['sg']);
    expect(report).toMatchObject({ provider: 'sg', state: 'closed', attempts: 3, successes: 3, successRate: 1, totals: { attempts: 6, failures: 3 } });
    expect(report!.latencyMs).toEqual({ p50: 21, p95: 22 });
    expect(health.report(20_010, ['twilio'])[0]).toMatchObject({ provider: 'twilio', attempts: 0, successRate: null });
  });

  it('keeps the counts of its window right over many outcomes (pruned and compacted as time moves)', () => {
    const health = createProviderHealth({ ...policy, windowMs: 1_000, failureRate: 0.9 });
    const all: { at: number; ok: boolean }[] = [];
    for (let at = 0; at < 5_000; at++) {
      const ok = at % 3 !== 0;
      health.record('sg', { ok, latencyMs: 1, now: at });
      all.push({ at, ok });
      if (at % 997 === 0 || at === 4_999) {
        const window = all.filter((o) => o.at >= at - 1_000);
        const [report] = health.report(at, ['sg']);
        expect(report).toMatchObject({ attempts: window.length, successes: window.filter((o) => o.ok).length, state: 'closed' });
      }
    }
  });
});
