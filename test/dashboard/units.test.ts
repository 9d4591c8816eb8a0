/** The dashboard's small pure modules: ring buffer, session tokens, login throttle, query parsing, charts, graph badges, health sampling. */
import { describe, expect, it } from 'vitest';
import type { Workflow } from '../../compiler/bundle/schema.ts';
import { workflowSvg } from '../../compiler/graph/svg.ts';
import { safeNext } from '../../runtime/dashboard/auth.ts';
import { lineChart, niceMax, stateBand } from '../../runtime/dashboard/charts.ts';
import { decodeCursor, encodeCursor, messageQuerySchema, queryString, toFilter } from '../../runtime/dashboard/filters.ts';
import { workflowGraph } from '../../runtime/dashboard/graph.ts';
import { startProviderSeries } from '../../runtime/dashboard/provider-series.ts';
import { RingBuffer } from '../../runtime/dashboard/ring.ts';
import { dashboardAuth, SESSION_TTL_MS } from '../../runtime/dashboard/session.ts';
import { loginThrottle } from '../../runtime/dashboard/throttle.ts';
import { createProviderHealth } from '../../runtime/delivery/providers/health.ts';

describe('RingBuffer', () => {
  it('keeps the newest items, oldest first', () => {
    const ring = new RingBuffer<number>(3);
    expect(ring.toArray()).toEqual([]);
    for (let i = 1; i <= 7; i++) ring.push(i);
    expect(ring.toArray()).toEqual([5, 6, 7]);
    expect(ring.size).toBe(3);
    expect(() => new RingBuffer(0)).toThrow(/positive integer/);
  });
});

describe('sessions', () => {
  const auth = dashboardAuth({ apiKey: 'key-1' });
  const now = 1_700_000_000_000;

  it('accepts its own tokens until they expire, and nothing altered', () => {
    const { token, expiresAt } = auth.issue(now);
    expect(expiresAt).toBe(now + SESSION_TTL_MS);
    expect(auth.verify(token, now + 1000)).toEqual({ id: expect.any(String), expiresAt });
    expect(auth.verify(token, expiresAt)).toBeNull();
    const [v, exp, id, sig] = token.split('.');
    expect(auth.verify(`${v}.${Number(exp) + 3_600_000}.${id}.${sig}`, now)).toBeNull();
    expect(auth.verify(`${v}.${exp}.${id}x.${sig}`, now)).toBeNull();
    expect(auth.verify(undefined, now)).toBeNull();
    expect(auth.verify('garbage', now)).toBeNull();
  });

  it('signs with every secret the login depends on', () => {
    const { token } = auth.issue(now);
    expect(dashboardAuth({ apiKey: 'key-2' }).verify(token, now)).toBeNull();
    expect(dashboardAuth({ apiKey: 'key-1', password: 'pw' }).verify(token, now)).toBeNull();
    expect(dashboardAuth({ apiKey: 'key-1', signingSecret: 's' }).verify(token, now)).toBeNull();
    expect(dashboardAuth({ apiKey: 'key-1' }).verify(token, now)).toEqual({ id: expect.any(String), expiresAt: now + SESSION_TTL_MS });
  });

  it('takes the password when one is set, else the API key', () => {
    expect(auth.mode).toBe('api-key');
    expect(auth.accepts('key-1')).toBe(true);
    expect(auth.accepts('key-')).toBe(false);
    const withPassword = dashboardAuth({ apiKey: 'key-1', password: 'pw' });
    expect(withPassword.mode).toBe('password');
    expect(withPassword.accepts('pw')).toBe(true);
    expect(withPassword.accepts('key-1')).toBe(false);
    expect(dashboardAuth({ apiKey: 'key-1', password: '' }).mode).toBe('api-key');
  });

  it('never accepts a blank secret, and refuses a password of only whitespace', () => {
    for (const blank of ['', ' ', '\t\n']) expect(auth.accepts(blank)).toBe(false);
    expect(() => dashboardAuth({ apiKey: 'key-1', password: '   ' })).toThrow(/HERALD_DASHBOARD_PASSWORD is only whitespace/);
    // No admin API key and no password: sign-in is off, and an empty form is no login.
    const off = dashboardAuth({ apiKey: '' });
    expect(off.mode).toBe('off');
    expect(off.accepts('')).toBe(false);
  });

  it('redirects after login only within the dashboard', () => {
    expect(safeNext('/dashboard/users/a?b=c')).toBe('/dashboard/users/a?b=c');
    for (const bad of [undefined, '', 'https://evil.example', '//evil.example', '/dashboardx', '/dashboard/\\evil', '/v1/users'])
      expect(safeNext(bad)).toBe('/dashboard');
  });
});

describe('login throttle', () => {
  const limits = { perAddress: 3, perAccount: 5, windowMs: 60_000, maxKeys: 100 };
  const t0 = 1_700_000_000_000;

  it('locks out an address after its own failures, and only that address', () => {
    const throttle = loginThrottle(limits);
    for (let i = 0; i < 3; i++) throttle.fail('acct', '10.0.0.1', t0);
    expect(throttle.refusal('acct', '10.0.0.1', t0)).toBe('address');
    expect(throttle.refusal('acct', '10.0.0.2', t0)).toBeNull();
    // Until the window has passed.
    expect(throttle.refusal('acct', '10.0.0.1', t0 + 60_001)).toBeNull();
  });

  it('brakes the account for addresses that failed, but still checks an address with a clean record', () => {
    const throttle = loginThrottle(limits);
    for (const ip of ['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4', '1.1.1.5']) throttle.fail('acct', ip, t0);
    expect(throttle.refusal('acct', '1.1.1.1', t0)).toBe('account');
    expect(throttle.refusal('acct', '10.9.9.9', t0)).toBeNull();
    expect(throttle.refusal('other', '1.1.1.1', t0)).toBeNull();
  });

  it('forgives an address that signs in', () => {
    const throttle = loginThrottle(limits);
    for (let i = 0; i < 3; i++) throttle.fail('acct', '10.0.0.1', t0);
    throttle.succeed('10.0.0.1');
    expect(throttle.refusal('acct', '10.0.0.1', t0)).toBeNull();
  });

  it('remembers at most maxKeys addresses, forgetting the one that failed longest ago', () => {
    const throttle = loginThrottle({ ...limits, perAccount: 1000, maxKeys: 2 });
    for (let i = 0; i < 3; i++) throttle.fail('acct', 'a', t0);
    for (let i = 0; i < 3; i++) throttle.fail('acct', 'b', t0 + 1);
    throttle.fail('acct', 'c', t0 + 2);
    expect(throttle.refusal('acct', 'a', t0 + 3)).toBeNull();
    expect(throttle.refusal('acct', 'b', t0 + 3)).toBe('address');
  });
});

describe('list query', () => {
  it('parses filters, treating empty fields as absent', () => {
    const q = messageQuerySchema.parse({ user: '', channel: 'sms', status: 'failed', range: '1h', limit: '20', from: '2024-05-01T10:00' });
    expect(q).toMatchObject({ channel: 'sms', status: 'failed', range: '1h', limit: 20 });
    expect(q.user).toBeUndefined();
    expect(q.from?.toISOString()).toBe('2024-05-01T10:00:00.000Z');
    expect(messageQuerySchema.safeParse({ channel: 'fax' }).success).toBe(false);
    expect(messageQuerySchema.safeParse({ limit: '0' }).success).toBe(false);
  });

  it('narrows the range preset with a custom start, whichever is later', () => {
    const now = Date.parse('2024-05-01T12:00:00Z');
    const preset = toFilter(messageQuerySchema.parse({ range: '1h' }), now);
    expect(preset.from?.toISOString()).toBe('2024-05-01T11:00:00.000Z');
    const later = toFilter(messageQuerySchema.parse({ range: '24h', from: '2024-05-01T11:30' }), now);
    expect(later.from?.toISOString()).toBe('2024-05-01T11:30:00.000Z');
  });

  it('reads the last 24 hours when the query names no range, and any time when it has bounds or a user', () => {
    const now = Date.parse('2024-05-01T12:00:00Z');
    expect(toFilter(messageQuerySchema.parse({}), now).from?.toISOString()).toBe('2024-04-30T12:00:00.000Z');
    expect(toFilter(messageQuerySchema.parse({ workflow: 'w' }), now).from?.toISOString()).toBe('2024-04-30T12:00:00.000Z');
    expect(toFilter(messageQuerySchema.parse({ user: 'u1' }), now).from).toBeUndefined();
    expect(toFilter(messageQuerySchema.parse({ from: '2024-04-01T00:00' }), now).from?.toISOString()).toBe('2024-04-01T00:00:00.000Z');
    expect(toFilter(messageQuerySchema.parse({ range: 'all' }), now).from).toBeUndefined();
    expect(queryString(messageQuerySchema.parse({ range: 'all' }))).toBe('?range=all');
  });

  it('round-trips cursors and refuses foreign ones', () => {
    const keyset = { at: '2024-05-01T10:00:00.123456Z', id: '0b5f8a5e-4c6e-4f57-9d0e-2f3b8f1c9a11' };
    expect(decodeCursor(encodeCursor(keyset))).toEqual(keyset);
    expect(decodeCursor('bm9wZQ')).toBeNull();
    expect(decodeCursor(Buffer.from('2024-05-01T10:00:00.123Z|x').toString('base64url'))).toBeNull();
  });

  it('writes links that keep the filters and drop defaults', () => {
    const q = messageQuerySchema.parse({ workflow: 'a b', status: 'sent' });
    expect(queryString(q)).toBe('?workflow=a+b&status=sent');
    expect(queryString(q, { status: undefined, cursor: 'c' })).toBe('?workflow=a+b&cursor=c');
    expect(queryString(messageQuerySchema.parse({}))).toBe('');
  });
});

describe('charts', () => {
  it('breaks the line where samples have no value, and escapes its text', () => {
    const svg = String(
      lineChart({
        id: 'c',
        title: 'a <b> chart',
        description: 'd & e',
        series: [{ label: 'rate', color: '#000', points: [1, 2, null, 4, 5, null, 7].map((v, i) => ({ at: i * 1000, value: v })) }],
        from: 0,
        to: 6000,
        yMax: 10,
        yLabel: (v) => `${v}`,
      }),
    );
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg.match(/<circle /g)).toHaveLength(1);
    expect(svg).toContain('<title id="c-title">a &lt;b&gt; chart</title>');
    expect(svg).toContain('d &amp; e');
  });

  it('draws one band per sample, in its state’s colour', () => {
    const svg = String(
      stateBand({
        id: 'b',
        title: 't',
        description: 'd',
        points: [
          { at: 0, state: 'closed' },
          { at: 500, state: 'open' },
        ],
        colors: { closed: '#0f0', open: '#f00' },
        from: 0,
        to: 1000,
      }),
    );
    expect(svg.match(/fill="#0f0" shape-rendering/g)).toHaveLength(1);
    expect(svg.match(/fill="#f00" shape-rendering/g)).toHaveLength(1);
  });

  it('rounds axis maxima up to 1, 2 or 5 times a power of ten', () => {
    expect(niceMax(0, 10)).toBe(10);
    expect(niceMax(13, 10)).toBe(20);
    expect(niceMax(420, 10)).toBe(500);
  });
});

describe('workflow graph', () => {
  const workflow: Workflow = {
    id: 'w',
    trigger: { type: 'event', event: 'e' },
    cancelOn: [],
    steps: [
      { kind: 'send', id: 'a<&>', template: 't', routing: { method: 'single', channels: ['email'] } } as Workflow['steps'][number],
      { kind: 'delay', id: 'wait', durationMs: 1000 } as Workflow['steps'][number],
    ],
  };

  it("is the compiler's SVG plus one group of run counts", () => {
    const svg = workflowGraph(workflow, {
      passed: new Map([
        ['a<&>', 3],
        ['wait', 1],
      ]),
      waiting: new Map([['wait', 1]]),
    });
    const group = svg.match(/<g class="run-counts">[\s\S]*?<\/g>\n(?=<\/svg>)/)![0];
    expect(svg.replace(group, '')).toBe(workflowSvg(workflow));
    expect(group).toContain('>3 runs<');
    expect(group).toContain('>1 run · 1 waiting<');
  });
});

describe('provider series', () => {
  it('samples every provider of the bundle and any other used, on its interval', async () => {
    const health = createProviderHealth();
    let clock = 1_000_000;
    const series = startProviderSeries({ health, providers: () => ['a'], intervalMs: 20, capacity: 3, now: () => clock });
    health.record('b', { ok: false, latencyMs: 12, now: clock });
    clock += 10_000;
    const taken = series.sample();
    expect(taken.points.map((p) => p.provider)).toEqual(['a', 'b']);
    expect(taken.points[1]).toMatchObject({ successRate: 0, p95: 12, attempts: 1, state: 'closed' });
    await new Promise((r) => setTimeout(r, 100));
    series.stop();
    // The first sample (at start), the manual one, and the timer's: the ring keeps three.
    expect(series.samples()).toHaveLength(3);
  });
});
