import { describe, expect, it } from 'vitest';
import type { JsonValue, Template } from '../../compiler/bundle/schema.ts';
import { createLinkSigner, renderTemplate, selectLocale, templateBuiltins, TemplateRenderError } from './index.ts';

const welcome: Template = {
  id: 'onboarding-welcome',
  event: 'trial_started',
  content: {
    email: {
      subject: 'Welcome, {{first_name}} & co <3',
      html: '<p>Hi {{first_name}}</p><p>{{{trusted}}}</p><a href="{{unsubscribe_url}}">unsubscribe</a>',
      text: 'Hi {{first_name}} <{{user.email}}>',
    },
    sms: { body: 'Hi {{first_name}}, your {{plan_type}} trial is ready' },
    push: { title: 'Hi {{first_name}}', body: '{{plan_type}}', data: { link: '/plans/{{plan_type}}', kind: 'welcome' } },
    inapp: { title: 'Welcome!', body: '{{upper plan_type}} for {{user.traits.company}}', actionUrl: '/start?u={{user.id}}' },
  },
  locales: {
    fr: {
      sms: { body: 'Salut {{first_name}}, ton essai {{plan_type}} est prêt' },
      push: { title: 'Salut {{first_name}}', body: '{{plan_type}}', data: { link: '/fr/plans/{{plan_type}}' } },
    },
    'pt-BR': { sms: { body: 'Oi {{first_name}}' } },
    pt: { sms: { body: 'Olá {{first_name}}' } },
  },
};

const user = { id: 'u1', email: 'ada@example.com', locale: 'en', timezone: 'UTC', traits: { company: 'Acme' } };
const data = { first_name: 'Ada <b>', plan_type: 'pro' };

describe('renderTemplate', () => {
  it('escapes HTML bodies and leaves text fields verbatim', () => {
    const email = renderTemplate(welcome, 'email', { data, user, extra: { unsubscribe_url: 'https://x.test/u?a=1&b="2"' } });
    expect(email.subject).toBe('Welcome, Ada <b> & co <3');
    expect(email.html).toBe('<p>Hi Ada &lt;b&gt;</p><p></p><a href="https://x.test/u?a&#x3D;1&amp;b&#x3D;&quot;2&quot;">unsubscribe</a>');
    expect(email.text).toBe('Hi Ada <b> <ada@example.com>');
  });

  it('renders every channel, including push data and in-app links', () => {
    expect(renderTemplate(welcome, 'sms', { data, user }).body).toBe('Hi Ada <b>, your pro trial is ready');
    expect(renderTemplate(welcome, 'push', { data, user })).toEqual({ title: 'Hi Ada <b>', body: 'pro', data: { link: '/plans/pro', kind: 'welcome' } });
    expect(renderTemplate(welcome, 'inapp', { data, user })).toEqual({ title: 'Welcome!', body: 'PRO for Acme', actionUrl: '/start?u=u1' });
  });

  it('chooses the locale variant: exact, then language, then default', () => {
    const sms = (locale: string | null, userLocale: string | null = null) =>
      renderTemplate(welcome, 'sms', { data: { first_name: 'Ada', plan_type: 'pro' }, user: { ...user, locale: userLocale }, locale }).body;
    expect(sms('fr')).toBe('Salut Ada, ton essai pro est prêt');
    expect(sms('fr-CA')).toBe('Salut Ada, ton essai pro est prêt');
    expect(sms('pt-BR')).toBe('Oi Ada');
    expect(sms('pt_br')).toBe('Oi Ada');
    expect(sms('pt-PT')).toBe('Olá Ada');
    expect(sms('de')).toBe('Hi Ada, your pro trial is ready');
    expect(sms(null, 'fr')).toBe('Salut Ada, ton essai pro est prêt');
    expect(sms(null, null)).toBe('Hi Ada, your pro trial is ready');
    expect(selectLocale(welcome, 'PT-br')).toBe('pt-BR');
    expect(selectLocale(welcome, 'not a locale!')).toBeUndefined();
  });

  it('merges a variant over the default field by field', () => {
    // The fr email has no variant: default content; the fr push overrides title and one data key.
    expect(renderTemplate(welcome, 'email', { data, user, locale: 'fr' }).subject).toBe('Welcome, Ada <b> & co <3');
    const partial: Template = { ...welcome, locales: { de: { email: { subject: 'Willkommen {{first_name}}' } } } };
    const email = renderTemplate(partial, 'email', { data: { first_name: 'Ada' }, user, locale: 'de' });
    expect(email).toEqual({ subject: 'Willkommen Ada', html: '<p>Hi Ada</p><p></p><a href="">unsubscribe</a>', text: 'Hi Ada <ada@example.com>' });
    expect(renderTemplate(welcome, 'push', { data, user, locale: 'fr' }).data).toEqual({ link: '/fr/plans/pro', kind: 'welcome' });
  });

  it('renders digests with each, and built-ins', () => {
    const digest: Template = {
      id: 'digest',
      event: 'comment',
      content: {
        email: {
          subject: '{{digest.count}} new {{pluralize digest.count "comment" "comments"}}',
          text: '{{#each digest.items}}{{@index}}. {{author}}: {{text}} ({{@root.user.email}})\n{{/each}}{{preferences_url}} {{message_id}} {{run_id}}',
        },
      },
      locales: {},
    };
    const items = [
      { author: 'Bo', text: 'nice' },
      { author: 'Cy', text: 'agreed' },
    ];
    const out = renderTemplate(digest, 'email', {
      data: items[1]!,
      user,
      extra: { digest: { count: 2, items }, preferences_url: 'https://p.test', message_id: 'm1', run_id: 'r1' },
    });
    expect(out).toEqual({ subject: '2 new comments', text: '0. Bo: nice (ada@example.com)\n1. Cy: agreed (ada@example.com)\nhttps://p.test m1 r1' });
  });

  it('gives digest.omitted to templates, 0 for runs collected before maxItems existed', () => {
    const base = {
      bundle: { categories: {} },
      publicUrl: 'https://h.test',
      links: createLinkSigner('s'.repeat(32)),
      userId: 'u1',
      category: null,
      channel: 'email' as const,
      messageId: 'm1',
      runId: 'r1',
      now: 0,
    };
    const digestOf = (digest: { count: number; items: JsonValue[]; omitted?: number }) => templateBuiltins({ ...base, digest }).values.digest;
    expect(digestOf({ count: 25, items: [{ n: 1 }], omitted: 24 })).toEqual({ count: 25, items: [{ n: 1 }], omitted: 24 });
    expect(digestOf({ count: 1, items: [{ n: 1 }] })).toEqual({ count: 1, items: [{ n: 1 }], omitted: 0 });
    const t: Template = { id: 't', event: 'e', content: { sms: { body: '{{digest.count}}{{#if digest.omitted}} (+{{digest.omitted}}){{/if}}' } }, locales: {} };
    expect(renderTemplate(t, 'sms', { data: {}, user, extra: { digest: digestOf({ count: 25, items: [], omitted: 5 }) } }).body).toBe('25 (+5)');
    expect(renderTemplate(t, 'sms', { data: {}, user, extra: { digest: digestOf({ count: 2, items: [] }) } }).body).toBe('2');
  });

  it('renders missing values as empty, and formats dates in the user timezone', () => {
    const t: Template = { id: 't', event: 'e', content: { sms: { body: '[{{nope}}] [{{a.b.c}}] {{formatDate at "HH:mm"}}' } }, locales: {} };
    expect(renderTemplate(t, 'sms', { data: { at: '2024-01-01T12:00:00Z' }, user: { id: null, timezone: 'Asia/Kolkata' } }).body).toBe('[] [] 17:30');
  });

  it('does not expose prototype properties or profile fields outside the listed ones', () => {
    const t: Template = { id: 'proto', event: 'e', content: { sms: { body: '{{constructor}}|{{user.push_tokens}}|{{__proto__}}' } }, locales: {} };
    const evil = JSON.parse('{"__proto__": {"polluted": 1}}') as Record<string, unknown>;
    const body = renderTemplate(t, 'sms', { data: evil, user: { id: 'u', push_tokens: ['tok'] } as never }).body;
    expect(body.startsWith('||')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('throws a TemplateRenderError for a channel without content', () => {
    const smsOnly: Template = { id: 'x', event: 'e', content: { sms: { body: 'hi' } }, locales: {} };
    expect(() => renderTemplate(smsOnly, 'email', { data: {}, user })).toThrow(TemplateRenderError);
    expect(() => renderTemplate(smsOnly, 'email', { data: {}, user })).toThrow('template "x" has no email content');
  });

  it('reuses compiled templates across renders and across copies of a bundle', () => {
    const copy = structuredClone(welcome);
    const first = renderTemplate(welcome, 'sms', { data, user });
    expect(renderTemplate(copy, 'sms', { data, user })).toEqual(first);
    const started = performance.now();
    for (let i = 0; i < 5000; i++) renderTemplate(welcome, 'sms', { data: { first_name: `n${i}`, plan_type: 'pro' }, user });
    // Generous bound: a re-parse per render would be an order of magnitude slower.
    expect(performance.now() - started).toBeLessThan(1500);
  });
});
