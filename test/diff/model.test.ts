/**
 * The model diff and its rules on hand-made bundles, for what the golden fixtures do not reach: moves,
 * renames and kind changes of steps, nested event fields, each flag rule, and the text diff's hunks.
 */
import { describe, expect, it } from 'vitest';
import type { Bundle, Step, Template, Workflow } from '../../compiler/bundle/schema.ts';
import { diffBundles, emptyBundle } from '../../compiler/diff/diff.ts';
import { renderMarkdown } from '../../compiler/diff/markdown.ts';
import { unifiedDiff } from '../../compiler/diff/text.ts';

const send = (id: string, extra: Partial<Extract<Step, { kind: 'send' }>> = {}): Step => ({
  id,
  kind: 'send',
  template: 'hello',
  routing: { method: 'single', channels: ['email'], strategy: 'ordered' },
  critical: false,
  ...extra,
});
const delay = (id: string, durationMs = 3_600_000): Step => ({ id, kind: 'delay', durationMs });

function workflow(id: string, steps: Step[], extra: Partial<Workflow> = {}): Workflow {
  return { id, trigger: { type: 'event', event: 'signed_up' }, cancelOn: [], category: 'news', steps, ...extra };
}

const hello: Template = { id: 'hello', event: 'signed_up', content: { email: { subject: 'Hi', text: 'Hello' } }, locales: {} };

function bundle(parts: Partial<Omit<Bundle, 'formatVersion' | 'version'>> = {}): Bundle {
  return {
    ...emptyBundle({ retentionMs: 30 * 86_400_000 }),
    events: {
      signed_up: {
        name: 'signed_up',
        schema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
        examples: [{ name: 'Ada' }],
      },
    },
    templates: { hello },
    categories: { news: { id: 'news', description: 'News', defaultChannels: ['email'], required: false } },
    ...parts,
  };
}

const rules = (base: Bundle, head: Bundle) => diffBundles(base, head).flags.map((f) => `${f.kind}:${f.rule}:${f.id}${f.path ? `:${f.path}` : ''}`);

describe('step changes', () => {
  it('tells a move between branch arms, a reorder, a rename and a change of kind apart', () => {
    const base = bundle({
      workflows: {
        w: workflow('w', [
          delay('a'),
          delay('b'),
          { id: 'split', kind: 'branch', arms: [{ when: { op: 'hasChannel', channel: 'sms' }, steps: [send('x')] }], otherwise: [] },
          send('old-name', { template: 'hello' }),
          delay('kind'),
        ]),
      },
    });
    const head = bundle({
      workflows: {
        w: workflow('w', [
          delay('b'),
          delay('a'),
          { id: 'split', kind: 'branch', arms: [{ when: { op: 'hasChannel', channel: 'sms' }, steps: [] }], otherwise: [send('x')] },
          send('new-name', { template: 'hello' }),
          { id: 'kind', kind: 'waitFor', until: { type: 'event', event: 'signed_up' }, timeoutMs: 60_000 },
        ]),
      },
    });
    const w = diffBundles(base, head).workflows.changed[0]!;
    expect(w.changes.map((c) => c.summary)).toEqual([
      'delay `a` moved: now after `b`',
      'send `x` moved: `split` › arm 1 → `split` › otherwise',
      'send `old-name` renamed to `new-name`',
      'step `kind`: delay → wait',
    ]);
    expect(w.steps).toEqual({ added: [], removed: [], renamed: [{ from: 'old-name', to: 'new-name' }], replaced: ['kind'], changed: ['a', 'x', 'new-name'] });
    expect(rules(base, head)).toEqual(['breaking:step-renamed:w:steps.old-name', 'breaking:step-kind-changed:w:steps.kind.kind']);
  });

  it('describes field changes of every kind of step', () => {
    const base = bundle({
      workflows: {
        w: workflow('w', [
          send('s'),
          { id: 'd', kind: 'digest', windowMs: 60_000 },
          { id: 't', kind: 'throttle', limit: 1, windowMs: 86_400_000 },
          { id: 'u', kind: 'updateProfile', set: { plan: { value: 'free' }, gone: { ref: 'data.x' } } },
          { id: 'c', kind: 'cancel' },
        ]),
      },
    });
    const head = bundle({
      workflows: {
        w: workflow('w', [
          send('s', {
            routing: { method: 'all', channels: ['email', 'sms'], strategy: 'user-preference' },
            providers: ['p1'],
            critical: true,
            window: { days: [1, 2, 3, 4, 5], startMinute: 540, endMinute: 1260, timezone: 'user' },
          }),
          { id: 'd', kind: 'digest', windowMs: 120_000, key: 'data.thread' },
          { id: 't', kind: 'throttle', limit: 2, windowMs: 86_400_000 },
          { id: 'u', kind: 'updateProfile', set: { plan: { value: 'pro' } } },
          { id: 'c', kind: 'cancel', reason: 'done' },
        ]),
      },
    });
    expect(diffBundles(base, head).workflows.changed[0]!.changes.map((c) => c.summary)).toEqual([
      'send `s`: routing method single → all',
      'send `s`: channels email → email, sms',
      'send `s`: routing strategy ordered → user-preference',
      'send `s`: providers channel default → `p1`',
      "send `s`: send window any time → Mon–Fri 09:00–21:00 (user's timezone)",
      'send `s`: now critical (ignores preferences and send windows)',
      'digest `d`: window 1m → 2m',
      'digest `d`: key none → `data.thread`',
      'throttle `t`: limit 1 → 2',
      'update profile `u`: set `gone` `data.x` → unset',
      'update profile `u`: set `plan` `"free"` → `"pro"`',
      'cancel `c`: reason none → `done`',
    ]);
    expect(rules(base, head)).toEqual(['resubscribe:send-made-critical:w:steps.s.critical']);
  });

  it('describes a changed moment: until, offset, ifPast, a schedule, maxItems, and a switch between the fixed and the moment forms', () => {
    const weekdays = { days: [1, 2, 3, 4, 5], atMinute: 540, timezone: 'user' };
    const base = bundle({
      workflows: {
        w: workflow('w', [
          { id: 'until', kind: 'delay', until: { ref: 'data.ends_at' }, offsetMs: -3 * 86_400_000, ifPast: 'run' },
          delay('form'),
          { id: 'sched', kind: 'digest', schedule: weekdays },
          { id: 'win', kind: 'digest', windowMs: 86_400_000, maxItems: 20 },
        ]),
      },
    });
    const head = bundle({
      workflows: {
        w: workflow('w', [
          { id: 'until', kind: 'delay', until: { ref: 'user.traits.renewal_date' }, offsetMs: 7_200_000, ifPast: 'skip' },
          { id: 'form', kind: 'delay', until: { ref: 'data.ends_at' }, offsetMs: -86_400_000, ifPast: 'run' },
          { id: 'sched', kind: 'digest', schedule: { ...weekdays, days: [1, 2, 3, 4, 5, 6, 7], atMinute: 480 }, maxItems: 10 },
          { id: 'win', kind: 'digest', schedule: weekdays, maxItems: 20 },
        ]),
      },
    });
    expect(diffBundles(base, head).workflows.changed[0]!.changes.map((c) => c.summary)).toEqual([
      'delay `until`: until `data.ends_at` → `user.traits.renewal_date`',
      'delay `until`: offset -3d → +2h',
      'delay `until`: if past go on at once → end the run',
      'delay `form`: wait 1h → 1d before data.ends_at',
      "digest `sched`: schedule Mon–Fri at 09:00 (user's timezone) → daily at 08:00 (user's timezone)",
      'digest `sched`: max items all → 10',
      "digest `win`: window 1d → schedule Mon–Fri at 09:00 (user's timezone)",
    ]);
    // A run in flight keeps the bundle it started under: nothing here breaks it.
    expect(rules(base, head)).toEqual([]);
  });
});

describe('flag rules', () => {
  const base = bundle({ workflows: { w: workflow('w', [send('s')]), gone: workflow('gone', [send('s')]), old: workflow('old', [delay('d', 5)]) } });

  it('flags removed and renamed workflows, removed templates', () => {
    const head = bundle({ workflows: { w: workflow('w', [send('s')]), new: workflow('new', [delay('d', 5)]) }, templates: {} });
    // The template is still sent by `w` in this hand-made head; the compiler would refuse it, the diff just reports.
    expect(rules(base, head)).toEqual(['breaking:workflow-removed:gone', 'breaking:workflow-renamed:old', 'breaking:template-removed:hello']);
  });

  it('flags a category made required, and a workflow leaving or switching its category', () => {
    const head = bundle({
      workflows: {
        w: workflow('w', [send('s')], { category: 'other' }),
        gone: workflow('gone', [send('s')], { category: undefined }),
        old: base.workflows.old!,
      },
      categories: {
        news: { id: 'news', description: 'News', defaultChannels: ['email'], required: true },
        other: { id: 'other', description: 'Other', defaultChannels: ['email'], required: false },
      },
    });
    expect(rules(base, head)).toEqual([
      'resubscribe:category-made-required:news:required',
      'resubscribe:workflow-category-changed:gone:category',
      'resubscribe:workflow-category-changed:w:category',
    ]);
  });

  it('flags fields made required, nested ones included, and not optional additions', () => {
    const withItems = (required: string[], extra: Record<string, unknown> = {}) =>
      bundle({
        events: {
          order: {
            name: 'order',
            schema: {
              type: 'object',
              properties: {
                items: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' }, ...extra }, required } },
                note: { type: 'string' },
              },
              required: ['items'],
            },
            examples: [],
          },
        },
      });
    const base = withItems([]);
    const head = withItems(['sku'], { qty: { type: 'integer' } });
    const diff = diffBundles(base, head);
    expect(diff.events.changed[0]!.changes.map((c) => c.summary)).toEqual([
      'field `items[].sku`: now required',
      'field `items[].qty` added (optional, `integer`)',
    ]);
    expect(rules(base, head)).toEqual(['breaking:event-required-field:order:fields.items[].sku']);
  });
});

describe('catalogue changes', () => {
  it('reports routing, providers and settings', () => {
    const provider = (id: string, env: string) => ({ id, channel: 'email' as const, kind: 'sendgrid' as const, credentials: { apiKey: { env } }, options: {} });
    const base = bundle({
      providers: { a: provider('a', 'KEY_A'), b: provider('b', 'KEY_B') },
      channels: { email: { channel: 'email', providers: ['a', 'b'] } },
    });
    const head = {
      ...bundle({ providers: { a: provider('a', 'KEY_A2'), b: provider('b', 'KEY_B') }, channels: { email: { channel: 'email', providers: ['b', 'a'] } } }),
      settings: { retentionMs: 60 * 86_400_000 },
    };
    const diff = diffBundles(base, head);
    expect(diff.routing.changed[0]!.changes[0]!.summary).toBe('failover `a`, `b` → `b`, `a`');
    expect(diff.providers.changed[0]!.changes[0]!.summary).toBe('credential `apiKey` from `$KEY_A` → `$KEY_A2`');
    expect(diff.settings[0]!.summary).toBe('retention 30d → 60d');
    expect(renderMarkdown(diff, head)).toContain('### Routing');
  });

  it('shows a changed frequency cap as a settings line, one per channel or category it counts', () => {
    const day = 86_400_000;
    const base = { ...bundle(), settings: { retentionMs: 30 * day, limits: [{ channel: 'sms' as const, max: 3, perMs: day }] } };
    const head = {
      ...bundle(),
      settings: {
        retentionMs: 30 * day,
        limits: [
          { channel: 'sms' as const, max: 5, perMs: day },
          { category: 'news', max: 2, perMs: 7 * day },
        ],
      },
    };
    const diff = diffBundles(base, head);
    expect(diff.settings.map((c) => [c.path, c.summary])).toEqual([
      ['limits.category.news', 'frequency cap on category news: none → 2/1w'],
      ['limits.channel.sms', 'frequency cap on channel sms: 3/1d → 5/1d'],
    ]);
    expect(diffBundles(head, bundle()).settings.map((c) => c.summary)).toEqual([
      'frequency cap on category news: 2/1w → none',
      'frequency cap on channel sms: 5/1d → none',
    ]);
    expect(renderMarkdown(diff, head)).toContain('- frequency cap on channel sms: 3/1d → 5/1d');
    expect(diffBundles(base, base).settings).toEqual([]);
  });

  it('shows the address grace as it applies: absent is the 10 s default, 0 is off', () => {
    const day = 86_400_000;
    const withGrace = (addressGrace: number) => ({ ...bundle(), settings: { retentionMs: 30 * day, addressGrace } });
    expect(diffBundles(bundle(), withGrace(10_000)).settings).toEqual([]);
    expect(diffBundles(bundle(), withGrace(0)).settings.map((c) => [c.path, c.summary])).toEqual([['addressGrace', 'address grace 10s → off']]);
    expect(diffBundles(withGrace(0), withGrace(30_000)).settings.map((c) => c.summary)).toEqual(['address grace off → 30s']);
  });

  it('says so when nothing changed', () => {
    const b = bundle();
    expect(renderMarkdown(diffBundles(b, b), b)).toContain('No changes to notifications.');
  });
});

describe('unified text diff', () => {
  it('prints hunks with three lines of context and splits distant changes', () => {
    const before = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n');
    const after = before.replace('line 2', 'line two').replace('line 18', 'line eighteen');
    expect(unifiedDiff(before, after)).toBe(
      [
        '@@ -1,5 +1,5 @@',
        ' line 1',
        '-line 2',
        '+line two',
        ' line 3',
        ' line 4',
        ' line 5',
        '@@ -15,6 +15,6 @@',
        ' line 15',
        ' line 16',
        ' line 17',
        '-line 18',
        '+line eighteen',
        ' line 19',
        ' line 20',
      ].join('\n'),
    );
  });

  it('diffs an added or removed field against nothing', () => {
    expect(unifiedDiff(undefined, 'a\nb')).toBe('@@ -0,0 +1,2 @@\n+a\n+b');
    expect(unifiedDiff('a', undefined)).toBe('@@ -1 +0,0 @@\n-a');
    expect(unifiedDiff('same', 'same')).toBe('');
  });
});

describe('read sync', () => {
  it('is a step-level line when turned on or off, and flags nothing', () => {
    const routing: Extract<Step, { kind: 'send' }>['routing'] = { method: 'all', channels: ['email', 'inapp'], strategy: 'ordered' };
    const off = bundle({ workflows: { w: workflow('w', [send('s', { routing })]) } });
    const on = bundle({ workflows: { w: workflow('w', [send('s', { routing, readSync: true })]) } });
    expect(diffBundles(off, on).workflows.changed[0]!.changes.map((c) => c.summary)).toEqual([
      'send `s`: read sync on (reading the in-app item marks its other channels read)',
    ]);
    expect(diffBundles(on, off).workflows.changed[0]!.changes.map((c) => c.summary)).toEqual(['send `s`: read sync off']);
    expect(rules(off, on)).toEqual([]);
    expect(diffBundles(on, on).workflows.changed).toEqual([]);
  });
});
