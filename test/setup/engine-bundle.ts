/**
 * Small bundles for the engine's tests, checked against the bundle schema so they stay honest.
 */
import { bundleSchema, type Bundle, type Step, type Workflow } from '../../compiler/bundle/schema.ts';
import { advance, createRun, type Action, type Fact, type RunState, type UserSnapshot } from '../../runtime/engine/index.ts';

export const HOUR = 3_600_000;
export const MINUTE = 60_000;

const template = (id: string) => ({
  id,
  event: 'trial_started',
  content: { email: { subject: 'Hi {{first_name}}' }, sms: { body: 'Hi' }, push: { title: 'Hi', body: 'Hi' }, inapp: { title: 'Hi', body: 'Hi' } },
  locales: {},
});

const provider = (id: string, channel: 'email' | 'sms' | 'push' | 'inapp', kind: 'sendgrid' | 'twilio' | 'fcm' | 'inapp') => ({
  id,
  channel,
  kind,
  credentials: {},
  options: {},
});

export function send(id: string, channel: 'email' | 'sms' | 'push' | 'inapp' = 'email', extra: Partial<Extract<Step, { kind: 'send' }>> = {}): Step {
  return { id, kind: 'send', template: 'welcome', routing: { method: 'single', channels: [channel], strategy: 'ordered' }, critical: false, ...extra };
}

export function workflow(id: string, steps: Step[], extra: Partial<Workflow> = {}): Workflow {
  return { id, trigger: { type: 'event', event: 'trial_started' }, category: 'product-updates', cancelOn: ['trial_cancelled'], steps, ...extra };
}

/** The seed's onboarding flow: welcome email, wait 2h for an open, then next steps / in-app nudge / SMS. */
export const onboarding = workflow('onboarding', [
  send('welcome', 'email'),
  { id: 'welcome-opened', kind: 'waitFor', until: { type: 'engagement', step: 'welcome', kind: 'opened' }, timeoutMs: 2 * HOUR },
  {
    id: 'follow-up',
    kind: 'branch',
    arms: [
      { when: { op: 'engaged', step: 'welcome', kind: 'opened' }, steps: [send('next-steps', 'email')] },
      { when: { op: 'activeWithin', durationMs: 5 * MINUTE }, steps: [send('nudge-inapp', 'inapp')] },
    ],
    otherwise: [send('nudge-sms', 'sms')],
  },
]);

export function makeBundle(...workflows: Workflow[]): Bundle {
  return bundleSchema.parse({
    formatVersion: 1,
    version: `sha256:${'0'.repeat(64)}`,
    settings: { retentionMs: 30 * 24 * HOUR },
    events: { trial_started: { name: 'trial_started', schema: { type: 'object' }, examples: [] } },
    templates: { welcome: template('welcome'), digest: template('digest') },
    workflows: Object.fromEntries(workflows.map((w) => [w.id, w])),
    providers: {
      sendgrid: provider('sendgrid', 'email', 'sendgrid'),
      'sendgrid-backup': provider('sendgrid-backup', 'email', 'sendgrid'),
      twilio: provider('twilio', 'sms', 'twilio'),
      fcm: provider('fcm', 'push', 'fcm'),
      inbox: provider('inbox', 'inapp', 'inapp'),
    },
    channels: {
      email: { channel: 'email', providers: ['sendgrid', 'sendgrid-backup'] },
      sms: { channel: 'sms', providers: ['twilio'] },
      push: { channel: 'push', providers: ['fcm'] },
      inapp: { channel: 'inapp', providers: ['inbox'] },
    },
    categories: {
      'product-updates': { id: 'product-updates', description: 'Tips and news', defaultChannels: ['email', 'sms', 'inapp'], required: false },
      security: { id: 'security', description: 'Account security', defaultChannels: ['email'], required: true },
    },
  });
}

/** A reachable user on every channel, inactive, with no explicit preferences. */
export function makeUser(overrides: Partial<UserSnapshot> = {}): UserSnapshot {
  return {
    id: 'u1',
    email: 'ada@example.com',
    phone_number: '+15555550100',
    push_tokens: ['tok-1'],
    timezone: 'UTC',
    traits: { plan: 'pro' },
    lastActiveAt: null,
    preferences: {},
    ...overrides,
  };
}

/**
 * One run of `wf`, fed fact by fact through the pure engine as a driver feeds it: `feed` answers the actions the
 * fact produced and keeps the run's new state. The user defaults to `makeUser()`; a test may pass its own per fact.
 */
export function engineRun(wf: Workflow, options: { bundle?: Bundle; data?: Record<string, unknown>; userId?: string | null; user?: UserSnapshot } = {}) {
  const bundle = options.bundle ?? makeBundle(wf);
  const userId = options.userId === undefined ? 'u1' : options.userId;
  let state: RunState = createRun({ runId: 'r', workflow: wf, bundleVersion: bundle.version, userId, data: (options.data ?? {}) as RunState['data'] });
  return {
    workflow: wf,
    bundle,
    feed(fact: Fact, user: UserSnapshot = options.user ?? makeUser()): Action[] {
      const result = advance(state, fact, bundle, { user });
      state = result.state;
      return result.actions;
    },
    get state() {
      return state;
    },
  };
}

/** The first `schedule` action among `actions`. */
export const scheduleOf = (actions: Action[]) => actions.find((a): a is Extract<Action, { type: 'schedule' }> => a.type === 'schedule');
