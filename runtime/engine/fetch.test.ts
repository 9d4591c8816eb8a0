import { describe, expect, it } from 'vitest';
import type { Step } from '../../compiler/bundle/schema.ts';
import { engineRun, makeBundle, makeUser, scheduleOf, send, workflow } from '../../test/setup/engine-bundle.ts';
import { FETCH_ANSWER_GRACE_MS, FETCH_ATTEMPTS, FETCH_BACKOFF_MS, FETCH_MAX_RETRY_AFTER_MS } from './fetch.ts';
import { advance, createRun, type Action, type FetchOutcome } from './index.ts';

const cart = (extra: Partial<Extract<Step, { kind: 'fetch' }>> = {}): Step => ({
  id: 'cart',
  kind: 'fetch',
  url: 'https://shop.example.com/carts/{{cart_id}}?q={{note}}',
  headers: { Authorization: { env: 'SHOP_TOKEN' } },
  response: { type: 'object', properties: { status: { type: 'string', enum: ['open', 'paid'] } }, required: ['status'] },
  timeoutMs: 5_000,
  onError: 'fail',
  ...extra,
});

/** Fetch, then branch on the answer: `open` → email, otherwise sms. */
const flow = (fetch: Step = cart()) =>
  engineRun(
    workflow('w', [
      fetch,
      {
        id: 'still-open',
        kind: 'branch',
        arms: [{ when: { op: 'compare', left: { ref: 'fetched.cart.status' }, cmp: 'eq', right: 'open' }, steps: [send('remind', 'email')] }],
        otherwise: [send('other', 'sms')],
      },
    ]),
    { data: { cart_id: 'c/1', note: 'a b' } },
  );

const fetchOf = (actions: Action[]) => actions.find((a): a is Extract<Action, { type: 'fetch' }> => a.type === 'fetch');
const ok = (body: unknown): FetchOutcome => ({ kind: 'response', status: 200, body: JSON.stringify(body) });
const outcomes = (h: ReturnType<typeof flow>) => h.state.history.filter((e) => e.kind === 'fetch').map((e) => e.outcome);

describe('fetch step', () => {
  it('asks the driver for the request (URL-encoded data, header names only) and waits for the answer', () => {
    const h = flow();
    const action = fetchOf(h.feed({ type: 'start', now: 0 }));
    expect(action).toEqual({
      type: 'fetch',
      stepId: 'cart',
      attempt: 1,
      url: 'https://shop.example.com/carts/c%2F1?q=a%20b',
      headers: { Authorization: { env: 'SHOP_TOKEN' } },
      timeoutMs: 5_000,
    });
    expect(h.state.waiting).toMatchObject({ stepId: 'cart', kind: 'fetch', reply: 'fetchResult', attempt: 1 });
    expect(h.state.history.at(-1)?.detail).toEqual({ url: action?.url, attempt: 1, headers: ['Authorization'] });
  });

  it('records the validated answer once; conditions read it; a duplicate answer changes nothing', () => {
    const h = flow();
    h.feed({ type: 'start', now: 0 });
    const actions = h.feed({ type: 'fetchResult', now: 5, stepId: 'cart', attempt: 1, outcome: ok({ status: 'open', extra: 1 }) });
    expect(h.state.fetched).toEqual({ cart: { status: 'open' } });
    expect(actions.find((a) => a.type === 'send')).toMatchObject({ stepId: 'remind' });
    // The why-log keeps the validated value (declared fields only), never the raw body with its undeclared fields.
    expect(h.state.history.find((e) => e.outcome === 'fetched')?.detail).toEqual({ status: 200, attempt: 1, response: '{"status":"open"}' });
    const before = h.state;
    expect(h.feed({ type: 'fetchResult', now: 6, stepId: 'cart', attempt: 1, outcome: ok({ status: 'paid' }) })).toEqual([]);
    expect(h.state).toBe(before);
  });

  it('never fetches again for a step whose answer is recorded: it is reused', () => {
    const wf = flow().workflow;
    const bundle = makeBundle(wf);
    const state = { ...createRun({ runId: 'r', workflow: wf, bundleVersion: bundle.version, userId: 'u1', data: {} }), fetched: { cart: { status: 'open' } } };
    const { state: next, actions } = advance(state, { type: 'start', now: 0 }, bundle, { user: makeUser() });
    expect(fetchOf(actions)).toBeUndefined();
    expect(next.history.find((e) => e.stepId === 'cart')?.outcome).toBe('reused');
    expect(actions.find((a) => a.type === 'send')).toMatchObject({ stepId: 'remind' });
  });

  it('retries 5xx and timeouts with backoff, then goes on with the answer', () => {
    const h = flow();
    h.feed({ type: 'start', now: 0 });
    const first = h.feed({ type: 'fetchResult', now: 10, stepId: 'cart', attempt: 1, outcome: { kind: 'response', status: 503, body: 'busy' } });
    expect(scheduleOf(first)).toMatchObject({ at: 10 + FETCH_BACKOFF_MS[0], stepId: 'cart' });
    // A late answer to the attempt that failed is ignored while the retry waits.
    expect(h.feed({ type: 'fetchResult', now: 11, stepId: 'cart', attempt: 1, outcome: ok({ status: 'open' }) })).toEqual([]);
    expect(fetchOf(h.feed({ type: 'timer', now: 1_010, token: scheduleOf(first)!.token }))).toMatchObject({ attempt: 2 });
    const second = h.feed({
      type: 'fetchResult',
      now: 1_100,
      stepId: 'cart',
      attempt: 2,
      outcome: { kind: 'error', error: 'timeout', message: 'no answer within 5000 ms' },
    });
    expect(scheduleOf(second)).toMatchObject({ at: 1_100 + FETCH_BACKOFF_MS[1] });
    expect(fetchOf(h.feed({ type: 'timer', now: 5_100, token: scheduleOf(second)!.token }))).toMatchObject({ attempt: 3 });
    h.feed({ type: 'fetchResult', now: 5_200, stepId: 'cart', attempt: 3, outcome: ok({ status: 'paid' }) });
    expect(outcomes(h)).toEqual(['requesting', 'retrying', 'requesting', 'retrying', 'requesting', 'fetched']);
    expect(h.state.history.find((e) => e.outcome === 'retrying')?.detail).toMatchObject({ attempt: 1, error: 'http_503', status: 503, response: 'busy' });
    expect(h.state.waiting).toMatchObject({ kind: 'send', stepId: 'other' });
  });

  it('counts an answer that never comes as a timed-out attempt at its timer, and ignores it if it comes later', () => {
    const h = flow(cart({ onError: 'continue' }));
    const lost = scheduleOf(h.feed({ type: 'start', now: 0 }));
    expect(lost).toMatchObject({ at: 5_000 + FETCH_ANSWER_GRACE_MS, stepId: 'cart' });
    expect(h.state.waiting).toMatchObject({ kind: 'fetch', reply: 'fetchResult', attempt: 1, token: lost!.token });
    const retry = scheduleOf(h.feed({ type: 'timer', now: lost!.at, token: lost!.token }));
    expect(retry).toMatchObject({ at: lost!.at + FETCH_BACKOFF_MS[0] });
    expect(h.state.history.at(-1)).toMatchObject({ outcome: 'retrying', detail: { attempt: 1, error: 'timeout' } });
    // The lost answer, late: the run waits on the retry's timer, not on it.
    expect(h.feed({ type: 'fetchResult', now: lost!.at + 1, stepId: 'cart', attempt: 1, outcome: ok({ status: 'open' }) })).toEqual([]);
    const second = h.feed({ type: 'timer', now: retry!.at, token: retry!.token });
    expect(fetchOf(second)).toMatchObject({ attempt: 2 });
    // Answered in time: the lost-answer timer of attempt 2 comes to nothing when it fires.
    const pending = scheduleOf(second)!;
    h.feed({ type: 'fetchResult', now: retry!.at + 10, stepId: 'cart', attempt: 2, outcome: ok({ status: 'open' }) });
    expect(h.state.fetched).toEqual({ cart: { status: 'open' } });
    const before = h.state;
    expect(h.feed({ type: 'timer', now: pending.at, token: pending.token })).toEqual([]);
    expect(h.state).toBe(before);
  });

  it('retries a 408 as a provider call would, and waits out a Retry-After longer than the backoff', () => {
    const h = flow();
    h.feed({ type: 'start', now: 0 });
    const first = h.feed({ type: 'fetchResult', now: 10, stepId: 'cart', attempt: 1, outcome: { kind: 'response', status: 408, body: '' } });
    expect(scheduleOf(first)).toMatchObject({ at: 10 + FETCH_BACKOFF_MS[0] });
    h.feed({ type: 'timer', now: 1_010, token: scheduleOf(first)!.token });
    const busy: FetchOutcome = { kind: 'response', status: 429, body: 'slow down', retryAfterMs: 30_000 };
    const second = h.feed({ type: 'fetchResult', now: 1_100, stepId: 'cart', attempt: 2, outcome: busy });
    expect(scheduleOf(second)).toMatchObject({ at: 1_100 + 30_000 });
    expect(h.state.history.at(-1)).toMatchObject({ outcome: 'retrying', detail: { error: 'http_429', retryAfterMs: 30_000 } });
  });

  it('does not wait for a Retry-After past its limit: the attempt is the last', () => {
    const h = flow(cart({ onError: 'continue' }));
    h.feed({ type: 'start', now: 0 });
    const outcome: FetchOutcome = { kind: 'response', status: 503, body: '', retryAfterMs: FETCH_MAX_RETRY_AFTER_MS + 1 };
    const actions = h.feed({ type: 'fetchResult', now: 10, stepId: 'cart', attempt: 1, outcome });
    expect(scheduleOf(actions)).toBeUndefined();
    expect(h.state.history.find((e) => e.outcome === 'failed')?.detail).toMatchObject({ attempt: 1, error: 'http_503' });
  });

  it(`fails the run after ${FETCH_ATTEMPTS} attempts with onError 'fail'`, () => {
    const h = flow();
    h.feed({ type: 'start', now: 0 });
    let now = 0;
    for (let attempt = 1; attempt < FETCH_ATTEMPTS; attempt++) {
      const retry = scheduleOf(h.feed({ type: 'fetchResult', now, stepId: 'cart', attempt, outcome: { kind: 'response', status: 500, body: '' } }));
      now = retry!.at;
      h.feed({ type: 'timer', now, token: retry!.token });
    }
    const last = h.feed({ type: 'fetchResult', now, stepId: 'cart', attempt: FETCH_ATTEMPTS, outcome: { kind: 'response', status: 500, body: '' } });
    expect(last).toEqual([{ type: 'finished', status: 'failed', reason: 'fetch_failed' }]);
    expect(h.state.status).toBe('failed');
    expect(h.state.history.at(-1)?.detail).toEqual({ reason: 'fetch_failed', stepId: 'cart', error: 'http_500' });
  });

  it.each<[string, FetchOutcome, string]>([
    ['bad JSON', { kind: 'response', status: 200, body: '<html>' }, 'bad_json'],
    ['a schema mismatch', { kind: 'response', status: 200, body: '{"status":"lost"}' }, 'schema_mismatch'],
    ['a 404', { kind: 'response', status: 404, body: 'no such cart' }, 'http_404'],
    ['a refusal by the outbound guard', { kind: 'error', error: 'refused', message: '169.254.169.254 is link-local' }, 'refused'],
  ])('does not retry %s; onError continue goes on without fetched (conditions false)', (_, outcome, error) => {
    const h = flow(cart({ onError: 'continue' }));
    h.feed({ type: 'start', now: 0 });
    const actions = h.feed({ type: 'fetchResult', now: 3, stepId: 'cart', attempt: 1, outcome });
    expect(scheduleOf(actions)).toBeUndefined();
    expect(h.state.history.find((e) => e.outcome === 'failed')?.detail).toMatchObject({ attempt: 1, error, onError: 'continue' });
    expect(h.state.fetched).toBeUndefined();
    expect(actions.find((a) => a.type === 'send')).toMatchObject({ stepId: 'other' });
  });

  it.each([
    ['a ".." that would climb the path', { cart_id: '..', note: 'n' }],
    ['a "."', { cart_id: '.', note: 'n' }],
    ['an empty value', { cart_id: '', note: 'n' }],
    ['a missing value', { note: 'n' }],
  ])('refuses %s in a URL variable without asking, and applies onError', (_, data) => {
    const h = engineRun(workflow('w', [cart({ onError: 'continue' }), send('other', 'sms')]), { data });
    const actions = h.feed({ type: 'start', now: 0 });
    expect(fetchOf(actions)).toBeUndefined();
    expect(h.state.history.find((e) => e.outcome === 'failed')?.detail).toMatchObject({ error: 'refused', message: expect.stringContaining('{{cart_id}}') });
    expect(actions.find((a) => a.type === 'send')).toMatchObject({ stepId: 'other' });
  });

  it('refuses a URL whose origin the trigger data would choose (a bundle the compiler did not check)', () => {
    const h = engineRun(workflow('w', [cart({ url: 'https://{{shop}}/carts' })]), { data: { shop: 'collector.example.net' } });
    expect(h.feed({ type: 'start', now: 0 })).toEqual([{ type: 'finished', status: 'failed', reason: 'fetch_failed' }]);
    expect(h.state.history.find((e) => e.outcome === 'failed')?.detail?.message).toMatch(/origin/);
  });

  it.each([
    ['HERALD_API_KEY', /runtime's own settings \(HERALD_\*\)/],
    ['DATABASE_URL', /DATABASE_\*/],
    ['SEGMENT_WRITE_KEY', /SEGMENT_\*/],
    ['SENDGRID_API_KEY', /provider's credentials/],
    ['MAIL_KEY', /provider's credentials/],
  ])('refuses a header reading %s, naming the rule', (name, rule) => {
    const wf = workflow('w', [cart({ headers: { Authorization: { env: name } } })]);
    const bundle = makeBundle(wf);
    bundle.providers.sendgrid = { ...bundle.providers.sendgrid!, credentials: { apiKey: { env: 'MAIL_KEY' } } };
    const h = engineRun(wf, { bundle, data: { cart_id: 'c1', note: 'n' } });
    expect(fetchOf(h.feed({ type: 'start', now: 0 }))).toBeUndefined();
    expect(h.state.status).toBe('failed');
    expect(String(h.state.history.find((e) => e.outcome === 'failed')?.detail?.message)).toMatch(rule);
  });

  it('keeps the why-log short: a long answer is cut, issues name the field', () => {
    const h = flow(cart({ onError: 'continue' }));
    h.feed({ type: 'start', now: 0 });
    h.feed({
      type: 'fetchResult',
      now: 3,
      stepId: 'cart',
      attempt: 1,
      outcome: { kind: 'response', status: 200, body: JSON.stringify({ status: 1, pad: 'x'.repeat(5_000) }) },
    });
    const detail = h.state.history.find((e) => e.outcome === 'failed')?.detail;
    expect(String(detail?.response)).toMatch(/… \(\d+ characters\)$/);
    expect(String(detail?.response).length).toBeLessThan(1_100);
    expect(detail?.issues).toEqual([expect.stringMatching(/^status: /)]);
  });
});
