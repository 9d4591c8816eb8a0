/**
 * The DSL's types catch authoring mistakes in the editor, before `herald check` runs. vitest's typecheck
 * mode is off, so the compile-time half of this file is checked by `tsc --noEmit -p .` (an unused
 * `@ts-expect-error` is itself an error there), inside a function that is never called; the run-time half
 * asserts that the valid builders return plain data.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { audience, env, event, not, template, workflow, z, type ConditionSpec, type Duration, type Operand, type WorkflowDefinition } from 'herald';
import onboardingWorkflow from '../notifications/workflows/onboarding.ts';
import { trialStarted } from '../notifications/events.ts';
import { legalFooter } from '../notifications/layouts.ts';
import { onboardingWelcome } from '../notifications/templates/onboarding.ts';

const orderShipped = event('order_shipped', {
  schema: z.object({ order_id: z.string(), carrier: z.enum(['ups', 'dhl']), eta: z.object({ days: z.number() }) }),
  examples: [{ order_id: 'o1', carrier: 'ups', eta: { days: 2 } }],
});
const shipped = template('order-shipped', { data: orderShipped, sms: { body: 'Order {{order_id}} is on its way with {{carrier}}' } });

function shippingWorkflow(): WorkflowDefinition {
  return workflow('shipping', {
    trigger: orderShipped,
    steps: (s) => [
      s.delay('settle', '30m'),
      s.branch('by-carrier', [
        { when: s.and(s.data('carrier').eq('dhl'), s.data('eta.days').gt(3)), then: [s.send('slow', { template: shipped, channel: 'sms' })] },
        { otherwise: [s.send('fast', { template: shipped, routing: { method: 'single', channels: ['push', 'sms'] } })] },
      ]),
      s.throttle('one-a-day', { limit: 1, window: '1d', key: 'order_id' }),
    ],
  });
}

/** Never called: each `@ts-expect-error` below must be a compile error, or `tsc` fails on the unused directive. */
export function mistakesThatDoNotCompile(): void {
  workflow('typos', {
    trigger: trialStarted,
    steps: (s) => [
      s.branch('wrong-field', [
        // @ts-expect-error 'plan_typ' is not a field of trial_started
        { when: s.data('plan_typ').eq('pro'), then: [] },
        // @ts-expect-error 'enterprise' is not one of the plan_type enum values
        { when: s.data('plan_type').eq('enterprise'), then: [] },
        // @ts-expect-error a number is not a plan_type
        { when: s.data('plan_type').in([1]), then: [] },
      ]),
      // @ts-expect-error durations are `<number><unit>`, e.g. '2h', not '2 hours'
      s.delay('too-wordy', '2 hours'),
      // @ts-expect-error the same mistake inside a waitFor
      s.waitFor('wait', { engagement: { step: 'x', kind: 'opened' }, timeout: '2 hours' }),
      // @ts-expect-error order-shipped renders order_shipped, not this workflow's trial_started
      s.send('wrong-template', { template: shipped, channel: 'sms' }),
      // @ts-expect-error 'fax' is not a channel
      s.send('fax', { template: onboardingWelcome, channel: 'fax' }),
      // @ts-expect-error a digest key must be a field of the trigger's data
      s.digest('by-cart', { window: '1d', key: 'cart_id' }),
    ],
  });
  template('bad-example', {
    // @ts-expect-error `data` must be an event definition, not a bare name
    data: 'trial_started',
    sms: { body: 'x' },
  });
  template('html-and-mjml', {
    data: orderShipped,
    // @ts-expect-error an email body is written in html or in mjml, not both
    email: { subject: 'x', html: '<p>x</p>', mjml: '<mjml></mjml>' },
  });
  event('bad-examples', {
    schema: z.object({ n: z.number() }),
    // @ts-expect-error examples must match the schema
    examples: [{ n: 'one' }],
  });
  workflow('keyed-typos', {
    trigger: trialStarted,
    cancelOn: [
      // @ts-expect-error a match key must be a field of the cancelling event (order_shipped has order_id)
      { event: orderShipped, match: { order_idd: 'first_name' } },
      // @ts-expect-error a match value must be a field of the trigger (trial_started)
      { event: orderShipped, match: { order_id: 'firstname' } },
    ],
    steps: (s) => [
      // @ts-expect-error the waited event's fields are the keys
      s.waitFor('shipped', { event: orderShipped, match: { 'eta.dayz': 'first_name' }, timeout: '1d' }),
      // @ts-expect-error the trigger's fields are the values
      s.waitFor('shipped-2', { event: orderShipped, match: { carrier: 'plan' }, timeout: '1d' }),
    ],
  });
  workflow('moment-typos', {
    trigger: trialStarted,
    steps: (s) => [
      // @ts-expect-error 'trial_end' is not a field of trial_started
      s.delay('typo', { until: s.data('trial_end') }),
      // @ts-expect-error an offset is a signed duration, e.g. '-3d', not words
      s.delay('wordy', { until: s.user.trait('renewal_date'), offset: '3 days before' }),
      // @ts-expect-error ifPast is 'run' or 'skip'
      s.delay('later', { until: s.user.trait('renewal_date'), ifPast: 'later' }),
      // @ts-expect-error a digest closes after a window or on a schedule, not both
      s.digest('both', { window: '1d', schedule: { days: 'daily', at: '09:00', timezone: 'user' } }),
      // @ts-expect-error maxItems is a number of items
      s.digest('many', { window: '1d', maxItems: 'twenty' }),
    ],
  });
  workflow('engagement-typos', {
    trigger: trialStarted,
    steps: (s) => [
      s.send('note', { template: onboardingWelcome, routing: { method: 'all', channels: ['email', 'inapp'] }, readSync: true }),
      // @ts-expect-error 'viewed' is not an engagement (delivered, seen, read, opened, clicked)
      s.waitFor('viewed', { engagement: { step: 'note', kind: 'viewed' }, timeout: '1d' }),
      // @ts-expect-error readSync is on or off
      s.send('sync', { template: onboardingWelcome, channel: 'inapp', readSync: 'email' }),
    ],
  });
}

describe('DSL types', () => {
  it('infer event data from the zod schema', () => {
    expectTypeOf(trialStarted.examples[0]!).toEqualTypeOf<{ first_name: string; plan_type: 'free' | 'pro' | 'team'; trial_days?: number | undefined }>();
    // A template's event carries the event's data type; the event keeps its name as a literal (typed triggers).
    expectTypeOf(onboardingWelcome.event.examples).toEqualTypeOf(trialStarted.examples);
    expectTypeOf(trialStarted.name).toEqualTypeOf<'trial_started'>();
  });

  it('type s.data paths by the value they read', () => {
    workflow('probe', {
      trigger: orderShipped,
      steps: (s) => {
        expectTypeOf(s.data('carrier')).toEqualTypeOf<Operand<'ups' | 'dhl'>>();
        expectTypeOf(s.data('eta.days')).toEqualTypeOf<Operand<number>>();
        expectTypeOf(s.engaged('x', 'opened')).toEqualTypeOf<ConditionSpec>();
        // The in-app inbox's engagements too.
        expectTypeOf(s.engaged('x', 'read')).toEqualTypeOf<ConditionSpec>();
        expectTypeOf(s.engaged('x', 'seen')).toEqualTypeOf<ConditionSpec>();
        return [s.delay('d', '1m')];
      },
    });
    expectTypeOf<'2h'>().toExtend<Duration>();
    expectTypeOf<'2 hours'>().not.toExtend<Duration>();
  });
});

describe('DSL builders', () => {
  it('return plain data: conditions are JSON trees, references stay as definitions for the compiler', () => {
    const wf = shippingWorkflow();
    expect(wf.steps).toEqual([
      { kind: 'delay', id: 'settle', duration: '30m' },
      {
        kind: 'branch',
        id: 'by-carrier',
        arms: [
          {
            when: {
              op: 'and',
              all: [
                { op: 'compare', left: { ref: 'data.carrier' }, cmp: 'eq', right: 'dhl' },
                { op: 'compare', left: { ref: 'data.eta.days' }, cmp: 'gt', right: 3 },
              ],
            },
            then: [{ kind: 'send', id: 'slow', template: shipped, channel: 'sms' }],
          },
          { otherwise: [{ kind: 'send', id: 'fast', template: shipped, routing: { method: 'single', channels: ['push', 'sms'] } }] },
        ],
      },
      { kind: 'throttle', id: 'one-a-day', limit: 1, window: '1d', key: 'data.order_id' },
    ]);
    expect(wf).toMatchObject({ kind: 'workflow', id: 'shipping', trigger: orderShipped, cancelOn: [] });
  });

  it('keep keyed cancels and waits as written: each match checked against its own event', () => {
    const wf = workflow('keyed', {
      trigger: trialStarted,
      cancelOn: ['trial_cancelled', orderShipped, { event: orderShipped, match: { order_id: 'first_name', 'eta.days': 'trial_days' } }],
      steps: (s) => [
        s.waitFor('shipped', { event: orderShipped, match: { order_id: 'first_name' }, timeout: '1d' }),
        s.waitFor('by-name', { event: 'order_shipped', match: { anything: 'plan_type' }, timeout: '1d' }),
      ],
    });
    expect(wf.cancelOn).toEqual(['trial_cancelled', orderShipped, { event: orderShipped, match: { order_id: 'first_name', 'eta.days': 'trial_days' } }]);
    expect(wf.steps).toEqual([
      { kind: 'waitFor', id: 'shipped', event: orderShipped, match: { order_id: 'first_name' }, timeout: '1d' },
      { kind: 'waitFor', id: 'by-name', event: 'order_shipped', match: { anything: 'plan_type' }, timeout: '1d' },
    ]);
  });

  it('keep a delay until a moment and a scheduled digest as plain data (the operand reduced to its ref)', () => {
    const wf = workflow('moments', {
      trigger: trialStarted,
      steps: (s) => [
        s.delay('fixed', '1h'),
        s.delay('before', { until: s.data('first_name'), offset: '-3d', ifPast: 'skip' }),
        s.delay('renewal', { until: s.user.trait('renewal_date') }),
        s.digest('mornings', { schedule: { days: 'weekdays', at: '09:00', timezone: 'user' }, maxItems: 20 }),
      ],
    });
    expect(JSON.parse(JSON.stringify(wf.steps))).toEqual(wf.steps);
    expect(wf.steps).toEqual([
      { kind: 'delay', id: 'fixed', duration: '1h' },
      { kind: 'delay', id: 'before', until: { ref: 'data.first_name' }, offset: '-3d', ifPast: 'skip' },
      { kind: 'delay', id: 'renewal', until: { ref: 'user.traits.renewal_date' } },
      { kind: 'digest', id: 'mornings', schedule: { days: 'weekdays', at: '09:00', timezone: 'user' }, maxItems: 20 },
    ]);
  });

  it('keep a fetch step as data (the env name, not a value) and s.fetched as a ref', () => {
    const response = z.object({ status: z.enum(['open', 'paid']) });
    const wf = workflow('fetching', {
      trigger: trialStarted,
      steps: (s) => [
        s.fetch('cart', { url: 'https://shop.example.com/carts/{{first_name}}', headers: { Authorization: env('SHOP_TOKEN') }, response, timeout: '5s' }),
        s.branch('open', [{ when: s.fetched('cart', 'status').eq('open'), then: [] }]),
      ],
    });
    expect(wf.steps[0]).toEqual({
      kind: 'fetch',
      id: 'cart',
      url: 'https://shop.example.com/carts/{{first_name}}',
      headers: { Authorization: { kind: 'env', name: 'SHOP_TOKEN' } },
      response,
      timeout: '5s',
    });
    expect(wf.steps[1]).toMatchObject({ arms: [{ when: { op: 'compare', left: { ref: 'fetched.cart.status' }, cmp: 'eq', right: 'open' } }] });
    workflow('fetch-typos', {
      trigger: trialStarted,
      steps: (s) => [
        // @ts-expect-error a timeout is a duration
        s.fetch('a', { url: 'https://x.example.com', response, timeout: '5 seconds' }),
        // @ts-expect-error onError is 'fail' or 'continue'
        s.fetch('b', { url: 'https://x.example.com', response, onError: 'ignore' }),
      ],
    });
  });

  it('build the condition helpers shown in notifications/README.md as JSON trees', () => {
    const conditions: ConditionSpec[] = [];
    workflow('readme-conditions', {
      trigger: trialStarted,
      steps: (s) => {
        conditions.push(
          s.data('plan_type').eq('pro'),
          s.data('trial_days').gte(14),
          s.user.trait('company').exists(),
          s.user.field('locale').eq('fr'),
          s.not(s.or(s.user.hasChannel('push'), s.preference('promotions', 'sms'))),
        );
        return [s.send('x', { template: onboardingWelcome, channel: 'email' })];
      },
    });
    expect(conditions).toEqual([
      { op: 'compare', left: { ref: 'data.plan_type' }, cmp: 'eq', right: 'pro' },
      { op: 'compare', left: { ref: 'data.trial_days' }, cmp: 'gte', right: 14 },
      { op: 'compare', left: { ref: 'user.traits.company' }, cmp: 'exists' },
      { op: 'compare', left: { ref: 'user.locale' }, cmp: 'eq', right: 'fr' },
      {
        op: 'not',
        cond: {
          op: 'or',
          any: [
            { op: 'hasChannel', channel: 'push' },
            { op: 'preference', category: 'promotions', channel: 'sms' },
          ],
        },
      },
    ]);
  });

  it('build the worked onboarding workflow as the runtime expects it', () => {
    expect(onboardingWorkflow).toMatchObject({ kind: 'workflow', id: 'onboarding', trigger: { name: 'trial_started' }, category: { id: 'onboarding' } });
    const steps = onboardingWorkflow.steps;
    expect(steps.map((s) => `${s.kind}:${s.id}`)).toEqual(['send:welcome', 'waitFor:welcome-opened', 'branch:follow-up']);
    expect(steps[1]).toEqual({ kind: 'waitFor', id: 'welcome-opened', engagement: { step: 'welcome', kind: 'opened' }, timeout: '2h' });
    const branch = steps[2];
    if (branch?.kind !== 'branch') throw new Error('expected the follow-up branch');
    expect(branch.arms.map((arm) => ('when' in arm ? arm.when : 'otherwise'))).toEqual([
      { op: 'engaged', step: 'welcome', kind: 'opened' },
      { op: 'activeWithin', duration: '5m' },
      'otherwise',
    ]);
    const sends = branch.arms.flatMap((arm) => ('then' in arm ? arm.then : arm.otherwise));
    expect(sends.map((s) => (s.kind === 'send' ? [s.id, typeof s.template === 'string' ? s.template : s.template.id, s.channel] : [s.kind, s.id]))).toEqual([
      ['next-steps', 'onboarding-next-steps', 'email'],
      ['nudge-inapp', 'onboarding-welcome', 'inapp'],
      // The in-app nudge waits a day to be read, else the next steps go by email.
      ['waitFor', 'nudge-read'],
      ['branch', 'nudge-unread'],
      ['nudge-sms', 'onboarding-welcome', 'sms'],
    ]);
    expect(sends[2]).toEqual({ kind: 'waitFor', id: 'nudge-read', engagement: { step: 'nudge-inapp', kind: 'read' }, timeout: '1d' });
  });

  it('keep the welcome copy that later checks rely on', () => {
    const line = 'Hi {{first_name}}, welcome to the {{plan_type}} plan!';
    expect(onboardingWelcome.content.email?.text).toContain(line);
    expect(onboardingWelcome.content.email?.html).toContain(line);
    // The preference link is the layout's legal footer now, composed into every email at build time.
    expect(legalFooter.html).toContain('{{preferences_url}}');
    expect(onboardingWelcome.content.inapp?.actionUrl).toBe('/getting-started');
    expect(Object.keys(onboardingWelcome.locales.fr ?? {}).sort()).toEqual(['email', 'sms']);
  });
});

/**
 * Audiences: `u.trait(…)` is typed by the traits schema registered in notifications/settings.ts (`Register`), so a
 * trait that does not exist, an operator its type lacks, or a value outside its enum does not compile.
 */
export function audienceMistakesThatDoNotCompile(): void {
  audience('typed-traits', {
    where: (u) =>
      u.all(
        // @ts-expect-error 'plann' is not a trait of the registered schema
        u.trait('plann').eq('free'),
        // @ts-expect-error 'enterprise' is not one of the plan enum values
        u.trait('plan').eq('enterprise'),
        // @ts-expect-error seats is a number: it has no startsWith
        u.trait('seats').startsWith('1'),
        // @ts-expect-error plan is a string: it has no gt
        u.trait('plan').gt(3),
        // @ts-expect-error tags is a list: it has contains, not eq
        u.trait('tags').eq('beta'),
        // @ts-expect-error a date field has no startsWith
        u.field('created_at').startsWith('2024'),
        // @ts-expect-error 'name' is not a profile field
        u.field('name').exists(),
        // @ts-expect-error durations are `<number><unit>`
        u.activeWithin('30 days'),
      ),
  });
}

describe('audience builders', () => {
  it('build a JSON condition tree when the definition is made (plain data, no functions)', () => {
    const def = audience('typed', {
      where: (u) =>
        u
          .trait('plan')
          .eq('free')
          .and(u.field('locale').startsWith('fr'), u.trait('seats').gte(3), u.trait('tags').contains('beta'))
          .or(not(u.optedOut('promotions', 'email')), u.inList('project:1:watchers'), u.activeWithin('30d'), u.field('created_at').lt('2024-01-01')),
    });
    expect(JSON.parse(JSON.stringify(def))).toEqual(def);
    expect(def.condition).toEqual({
      op: 'or',
      any: [
        {
          op: 'and',
          all: [
            { op: 'trait', name: 'plan', cmp: 'eq', value: 'free' },
            { op: 'field', name: 'locale', cmp: 'startsWith', value: 'fr' },
            { op: 'trait', name: 'seats', cmp: 'gte', value: 3 },
            { op: 'trait', name: 'tags', cmp: 'contains', value: 'beta' },
          ],
        },
        { op: 'not', cond: { op: 'preference', category: 'promotions', channel: 'email', allowed: false } },
        { op: 'inList', list: 'project:1:watchers' },
        { op: 'activeWithin', duration: '30d' },
        // A date without an offset is read as UTC and kept as an ISO instant.
        { op: 'field', name: 'created_at', cmp: 'lt', value: '2024-01-01T00:00:00.000Z' },
      ],
    });
  });
});
