/**
 * Delays until a moment and digests on a schedule at compile time: the bundle's shapes (the fixed forms keep
 * their bytes), and every check with file:line. Built without the type-check, as JavaScript authors and casts
 * would reach the compiler; the editor's types are a first line only (test/dsl-types.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brief, buildTree, removeTree } from '../setup/tree.ts';

const EVENTS = `import { event, provider, template, z } from 'herald';
export const subscribed = event('subscribed', {
  schema: z.object({
    name: z.string(),
    trial_ends_at: z.iso.datetime(),
    renews_at: z.iso.datetime({ offset: true }).nullable().optional(),
    plan: z.object({ starts_at: z.iso.datetime() }),
  }),
});
export const mail = provider('sandbox-email', { channel: 'email', kind: 'sandbox' });
export const note = template('note', { data: subscribed, email: { subject: '{{digest.count}} for {{name}}', text: '{{#each digest.items}}{{name}}{{/each}} and {{digest.omitted}} more' } });
`;

const VALID = `import { workflow } from 'herald';
import { note, subscribed } from './events.ts';
export const moments = workflow('moments', {
  trigger: subscribed,
  steps: (s) => [
    s.delay('fixed', '1h'),
    s.delay('before-end', { until: s.data('trial_ends_at'), offset: '-3d', ifPast: 'skip' }),
    s.delay('renewal', { until: s.data('renews_at'), offset: '+2h' }),
    s.delay('nested', { until: s.data('plan.starts_at') }),
    s.delay('trait', { until: s.user.trait('renewal_date') }),
    s.digest('window', { window: '1d' }),
    s.digest('weekday-mornings', { schedule: { days: 'mon-fri', at: '09:00', timezone: 'user' }, maxItems: 20, key: 'name' }),
    s.send('note', { template: note, channel: 'email' }),
  ],
});
`;

// Each mistake on its own line, pinned below by line number.
const BROKEN = `import { schedule, workflow } from 'herald';
import { note, subscribed } from './events.ts';
export const broken = workflow('broken', {
  trigger: subscribed,
  steps: (s) => [
    s.delay('profile-field', { until: s.user.field('email') }),
    s.delay('bad-offset', { until: s.data('trial_ends_at'), offset: '-3 days' }),
    s.delay('bad-policy', { until: s.data('trial_ends_at'), ifPast: 'later' }),
    s.digest('bad-days', { schedule: { days: 'weekdayz', at: '09:00', timezone: 'user' } }),
    s.digest('bad-at', { schedule: { days: 'daily', at: '9am', timezone: 'user' } }),
    s.digest('both', { window: '1d', schedule: { days: 'daily', at: '09:00', timezone: 'UTC' } }),
    s.digest('neither', {}),
    s.digest('no-items', { window: '1h', maxItems: 0 }),
    s.delay('no-wait', {} as never),
    s.send('note', { template: note, channel: 'email' }),
  ],
});
export const scheduled = workflow('scheduled', {
  trigger: schedule('0 9 * * 1'),
  steps: (s) => [s.delay('until-data', { until: { ref: 'data.trial_ends_at' } })],
});
`;

const build = (side: string, files: Record<string, string>) => buildTree(`moments-${side}`, files);

let valid: Awaited<ReturnType<typeof build>>;
let broken: Awaited<ReturnType<typeof build>>;
beforeAll(async () => {
  [valid, broken] = await Promise.all([
    build('valid', { 'events.ts': EVENTS, 'flows.ts': VALID }),
    build('broken', { 'events.ts': EVENTS, 'flows.ts': BROKEN }),
  ]);
}, 120_000);
afterAll(() => {
  for (const side of ['valid', 'broken']) removeTree(`moments-${side}`);
});

describe('moments in the bundle', () => {
  it('keeps the fixed forms as they were, and writes until, offset and ifPast, or the schedule, when used', () => {
    expect(valid.diagnostics.map(brief)).toEqual([]);
    expect(valid.bundle!.workflows.moments!.steps.slice(0, 7)).toEqual([
      { kind: 'delay', id: 'fixed', durationMs: 3_600_000 },
      { kind: 'delay', id: 'before-end', until: { ref: 'data.trial_ends_at' }, offsetMs: -259_200_000, ifPast: 'skip' },
      { kind: 'delay', id: 'renewal', until: { ref: 'data.renews_at' }, offsetMs: 7_200_000, ifPast: 'run' },
      { kind: 'delay', id: 'nested', until: { ref: 'data.plan.starts_at' }, offsetMs: 0, ifPast: 'run' },
      { kind: 'delay', id: 'trait', until: { ref: 'user.traits.renewal_date' }, offsetMs: 0, ifPast: 'run' },
      { kind: 'digest', id: 'window', windowMs: 86_400_000 },
      { kind: 'digest', id: 'weekday-mornings', schedule: { days: [1, 2, 3, 4, 5], atMinute: 540, timezone: 'user' }, maxItems: 20, key: 'data.name' },
    ]);
  });
});

describe('checks', () => {
  it('reports each problem at its line', () => {
    expect(broken.bundle).toBeNull();
    expect(broken.diagnostics.map(brief)).toEqual([
      `flows.ts:6 bad-until: delay "profile-field" waits until user.email: until must be a date-time of the trigger's data or a user trait | write until: s.data('trial_ends_at') or until: s.user.trait('renewal_date')`,
      `flows.ts:7 invalid-duration: "-3 days" is not an offset | write a duration with an optional sign, e.g. '-3d' (before), '2h' or '+2h' (after)`,
      `flows.ts:8 invalid-definition: delay "bad-policy" has ifPast "later" | write ifPast: 'run' (go on at once) or 'skip' (end the run)`,
      `flows.ts:9 invalid-definition: digest "bad-days" schedule days: "weekdayz" is not a day name | write 'daily', 'weekdays', 'weekends', or day names and ranges such as 'mon-fri', 'sat,sun', 'mon-wed,fri'`,
      `flows.ts:10 invalid-definition: digest "bad-at" schedule at: "9am" is not a time of day | write 'HH:MM' in 24-hour time, e.g. '09:00' or '17:30'`,
      `flows.ts:11 invalid-definition: digest "both" has both a window and a schedule | keep one: window: '1d' (from the first event) or schedule: { days, at, timezone } (at set times)`,
      `flows.ts:12 invalid-definition: digest "neither" needs a window or a schedule | add window: '1d', or schedule: { days: 'weekdays', at: '09:00', timezone: 'user' }`,
      `flows.ts:13 invalid-definition: digest "no-items" has maxItems 0 | use a whole number of items, at least 1, or leave maxItems out to keep every item`,
      `flows.ts:14 invalid-definition: delay "no-wait" needs a duration or an until | write s.delay(id, '1h'), or s.delay(id, { until: s.data('…'), offset: '-3d' })`,
      `flows.ts:20 bad-until: delay "until-data" waits until data.trial_ends_at, but a scheduled workflow has no trigger data | use a trait: until: s.user.trait('renewal_date')`,
    ]);
  });
});
