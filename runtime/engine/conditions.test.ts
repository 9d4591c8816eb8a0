import { describe, expect, it } from 'vitest';
import type { Condition, JsonValue } from '../../compiler/bundle/schema.ts';
import { evaluateCondition, type ConditionScope } from './index.ts';
import { makeBundle, makeUser, send, workflow } from '../../test/setup/engine-bundle.ts';

const scope: ConditionScope = {
  data: { plan: 'pro', seats: 12, tags: ['beta', 'eu'], nested: { a: { b: [1, 2] } }, nothing: null },
  user: makeUser({ lastActiveAt: 1_000, traits: { company: 'Acme', score: 7 }, preferences: { 'product-updates': { sms: false } } }),
  engagements: { welcome: ['clicked'], digest: ['delivered'] },
  now: 61_000,
  bundle: makeBundle(workflow('w', [send('s')])),
};
const value = (cond: Condition) => evaluateCondition(cond, scope).value;
const cmp = (ref: string, op: Extract<Condition, { op: 'compare' }>['cmp'], right?: JsonValue) =>
  value({ op: 'compare', left: { ref }, cmp: op, ...(right === undefined ? {} : { right }) });

describe('evaluateCondition', () => {
  it('compares refs into data and the user', () => {
    expect(cmp('data.plan', 'eq', 'pro')).toBe(true);
    expect(cmp('data.plan', 'neq', 'pro')).toBe(false);
    expect(cmp('data.nested.a.b', 'eq', [1, 2])).toBe(true);
    expect(cmp('data.nested.a.b.1', 'eq', 2)).toBe(true);
    expect(cmp('data.seats', 'gt', 10)).toBe(true);
    expect(cmp('data.seats', 'lte', 11)).toBe(false);
    expect(cmp('data.plan', 'gte', 'free')).toBe(true);
    expect(cmp('data.seats', 'gt', '10')).toBe(false); // mixed types never order
    expect(cmp('data.plan', 'in', ['pro', 'team'])).toBe(true);
    expect(cmp('data.plan', 'in', 'pro')).toBe(false);
    expect(cmp('data.tags', 'contains', 'eu')).toBe(true);
    expect(cmp('data.plan', 'contains', 'r')).toBe(true);
    expect(cmp('data.nothing', 'exists')).toBe(false);
    expect(cmp('data.missing.deep', 'exists')).toBe(false);
    expect(cmp('user.email', 'eq', 'ada@example.com')).toBe(true);
    expect(cmp('user.traits.company', 'eq', 'Acme')).toBe(true);
    expect(cmp('user.traits.score', 'lt', 10)).toBe(true);
    expect(cmp('elsewhere.x', 'exists')).toBe(false);
  });

  it('reads engagements with clicked ⇒ opened ⇒ delivered', () => {
    expect(value({ op: 'engaged', step: 'welcome', kind: 'opened' })).toBe(true);
    expect(value({ op: 'engaged', step: 'digest', kind: 'opened' })).toBe(false);
    expect(value({ op: 'engaged', step: 'digest', kind: 'delivered' })).toBe(true);
    expect(value({ op: 'engaged', step: 'never-sent', kind: 'delivered' })).toBe(false);
  });

  it('checks activity, addresses and preferences', () => {
    expect(value({ op: 'activeWithin', durationMs: 60_000 })).toBe(true);
    expect(value({ op: 'activeWithin', durationMs: 59_999 })).toBe(false);
    expect(evaluateCondition({ op: 'activeWithin', durationMs: 1 }, { ...scope, user: makeUser() }).value).toBe(false);
    expect(value({ op: 'hasChannel', channel: 'push' })).toBe(true);
    expect(evaluateCondition({ op: 'hasChannel', channel: 'email' }, { ...scope, user: makeUser({ email: null }) }).value).toBe(false);
    expect(value({ op: 'preference', category: 'product-updates', channel: 'sms' })).toBe(false);
    expect(value({ op: 'preference', category: 'product-updates', channel: 'email' })).toBe(true);
  });

  it('combines with and/or/not and explains every node', () => {
    const cond: Condition = {
      op: 'and',
      all: [
        { op: 'compare', left: { ref: 'data.plan' }, cmp: 'eq', right: 'pro' },
        { op: 'not', cond: { op: 'preference', category: 'product-updates', channel: 'sms' } },
        {
          op: 'or',
          any: [
            { op: 'engaged', step: 'digest', kind: 'opened' },
            { op: 'hasChannel', channel: 'inapp' },
          ],
        },
      ],
    };
    expect(evaluateCondition(cond, scope)).toEqual({
      value: true,
      explain: {
        op: 'and',
        value: true,
        children: [
          { op: 'compare', value: true, ref: 'data.plan', cmp: 'eq', left: 'pro', right: 'pro' },
          { op: 'not', value: true, children: [{ op: 'preference', value: false, category: 'product-updates', channel: 'sms', rule: 'opted-out' }] },
          {
            op: 'or',
            value: true,
            children: [
              { op: 'engaged', value: false, step: 'digest', kind: 'opened', seen: ['delivered'] },
              { op: 'hasChannel', value: true, channel: 'inapp' },
            ],
          },
        ],
      },
    });
  });
});
