/** Keyed waits and cancels: an event counts only when every pair of its listener's `match` holds. */
import { describe, expect, it } from 'vitest';
import type { Step, Workflow } from '../../compiler/bundle/schema.ts';
import { HOUR, MINUTE, send, workflow, engineRun } from '../../test/setup/engine-bundle.ts';
import { checkMatch, eventReachesRun } from './index.ts';
import type { Action, Fact } from './types.ts';

const CART = { cart_id: 'c1', shop: { id: 7 } };

const harness = (steps: Step[], extra: Partial<Workflow> = {}, data: Record<string, unknown> = CART) => engineRun(workflow('w', steps, extra), { data });
const timerOf = (actions: Action[]) => actions.find((a): a is Extract<Action, { type: 'schedule' }> => a.type === 'schedule')!;
const event = (now: number, data: Record<string, unknown>, name = 'checkout'): Fact => ({ type: 'event', now, event: name, data: data as never });

describe('checkMatch', () => {
  it('holds when every pair deep-equals, and never on a missing value', () => {
    expect(checkMatch({ cart_id: 'cart_id' }, { cart_id: 'c1' }, CART)).toMatchObject({ holds: true, seen: { cart_id: 'c1' } });
    expect(checkMatch({ 'shop.id': 'shop.id', cart_id: 'cart_id' }, { cart_id: 'c1', shop: { id: 7 } }, CART).holds).toBe(true);
    expect(checkMatch({ shop: 'shop' }, { shop: { id: 7 } }, CART).holds).toBe(true);
    expect(checkMatch({ 'shop.id': 'shop.id', cart_id: 'cart_id' }, { cart_id: 'c1', shop: { id: 8 } }, CART).holds).toBe(false);
    expect(checkMatch({ cart_id: 'cart_id' }, {}, CART)).toEqual({ holds: false, seen: {}, expected: { cart_id: 'c1' } });
    expect(checkMatch({ cart_id: 'nope' }, { cart_id: 'c1' }, CART).holds).toBe(false);
    // Own fields only: a path through the prototype is missing, not a function.
    expect(checkMatch({ constructor: 'constructor' }, {}, {}).holds).toBe(false);
  });
});

describe('keyed cancelOn', () => {
  const steps: Step[] = [{ id: 'd', kind: 'delay', durationMs: HOUR }, send('reminder')];
  const keyed = { cancelOn: [{ event: 'checkout', match: { cart_id: 'cart_id' } }] };

  it('ends the run only on the event about the same cart, and says why either way', () => {
    const h = harness(steps, keyed);
    h.feed({ type: 'start', now: 0 });
    expect(h.feed(event(5, { cart_id: 'c2' }))).toEqual([]);
    expect(h.state.status).toBe('waiting');
    expect(h.state.history.at(-1)).toEqual({
      at: 5,
      stepId: 'd',
      kind: 'event',
      outcome: 'unmatched',
      detail: { event: 'checkout', match: { cart_id: 'c2' }, expected: { cart_id: 'c1' } },
    });
    expect(h.feed(event(6, {}))).toEqual([]);
    expect(h.state.status).toBe('waiting');
    expect(h.feed(event(7, { cart_id: 'c1' }))).toEqual([{ type: 'finished', status: 'cancelled', reason: 'event "checkout"' }]);
    expect(h.state.history.at(-2)).toEqual({
      at: 7,
      stepId: 'd',
      kind: 'event',
      outcome: 'cancelled',
      detail: { event: 'checkout', match: { cart_id: 'c1' } },
    });
  });

  it('never matches when the trigger lacks the value', () => {
    const h = harness(steps, keyed, { other: 1 });
    h.feed({ type: 'start', now: 0 });
    h.feed(event(5, { cart_id: 'c1' }));
    expect(h.state.status).toBe('waiting');
  });

  it('keeps the plain name working beside keyed entries (any such event cancels)', () => {
    const h = harness(steps, { cancelOn: ['logout', { event: 'checkout', match: { cart_id: 'cart_id' } }] });
    h.feed({ type: 'start', now: 0 });
    h.feed(event(5, {}, 'logout'));
    expect(h.state.status).toBe('cancelled');
  });
});

describe('keyed waitFor', () => {
  const wait: Step = { id: 'paid', kind: 'waitFor', until: { type: 'event', event: 'checkout', match: { cart_id: 'cart_id' } }, timeoutMs: HOUR };

  it('resumes on the matching event only', () => {
    const h = harness([wait, send('thanks')]);
    h.feed({ type: 'start', now: 0 });
    expect(h.feed(event(5, { cart_id: 'c2' }))).toEqual([]);
    expect(h.state.waiting).toMatchObject({ stepId: 'paid', kind: 'waitFor' });
    expect(h.state.history.at(-1)).toMatchObject({ stepId: 'paid', outcome: 'unmatched', detail: { match: { cart_id: 'c2' }, expected: { cart_id: 'c1' } } });
    expect(h.feed(event(6, { cart_id: 'c1' }))).toMatchObject([{ type: 'send', stepId: 'thanks' }]);
    expect(h.state.history.find((e) => e.outcome === 'matched')).toMatchObject({ stepId: 'paid', detail: { event: 'checkout', match: { cart_id: 'c1' } } });
  });

  it('counts an event that came before the wait only if it matched that wait', () => {
    const early = (data: Record<string, unknown>) => {
      const h = harness([{ id: 'd', kind: 'delay', durationMs: MINUTE }, wait, send('thanks')]);
      const timer = timerOf(h.feed({ type: 'start', now: 0 }));
      h.feed(event(1, data));
      return { h, actions: h.feed({ type: 'timer', now: MINUTE, token: timer.token }) };
    };
    const other = early({ cart_id: 'c2' });
    expect(other.h.state.events).toEqual([{ event: 'checkout', at: 1, matched: [] }]);
    expect(other.h.state.waiting).toMatchObject({ stepId: 'paid', kind: 'waitFor' });
    const same = early({ cart_id: 'c1' });
    expect(same.h.state.events).toEqual([{ event: 'checkout', at: 1, matched: ['paid'] }]);
    expect(same.actions).toMatchObject([{ type: 'send', stepId: 'thanks' }]);
  });

  it('loads a state saved before keys existed (events without `matched`) for unkeyed waits', () => {
    const h = harness([{ id: 'd', kind: 'delay', durationMs: MINUTE }, { ...wait, until: { type: 'event', event: 'checkout' } }, send('thanks')]);
    const timer = timerOf(h.feed({ type: 'start', now: 0 }));
    h.feed(event(1, {}));
    expect(h.state.events).toEqual([{ event: 'checkout', at: 1 }]);
    expect(h.feed({ type: 'timer', now: MINUTE, token: timer.token })).toMatchObject([{ type: 'send', stepId: 'thanks' }]);
  });
});

describe('eventReachesRun', () => {
  it('is what the runtime asks of runs it started in the same batch', () => {
    const wf = workflow('w', [send('s')], { cancelOn: [{ event: 'checkout', match: { cart_id: 'cart_id' } }] });
    expect(eventReachesRun(wf, 'checkout', { cart_id: 'c1' }, CART)).toBe(true);
    expect(eventReachesRun(wf, 'checkout', { cart_id: 'c2' }, CART)).toBe(false);
    expect(eventReachesRun(wf, 'other', {}, CART)).toBe(false);
    expect(eventReachesRun(workflow('u', [send('s')], { cancelOn: ['checkout'] }), 'checkout', {}, CART)).toBe(true);
  });
});
