import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Template } from '../bundle/schema.ts';
import { checkTemplate, checkTemplateString, isKnownLocale, scopeForEvent, templateVariables } from './check.ts';

const schema = z.toJSONSchema(
  z.object({
    first_name: z.string(),
    plan_type: z.enum(['free', 'pro']),
    company: z.object({ name: z.string(), address: z.object({ city: z.string() }) }).nullable(),
    items: z.array(z.object({ title: z.string(), price: z.number() })),
    tags: z.record(z.string(), z.string()),
    started_at: z.iso.datetime(),
  }),
) as Record<string, unknown>;
const scope = scopeForEvent(schema, 'trial_started');
const check = (source: string) => checkTemplateString(source, scope);

describe('checkTemplateString', () => {
  it('accepts event fields, nested paths, the profile, traits and built-ins', () => {
    expect(check('Hi {{first_name}} ({{plan_type}}) from {{company.name}}, {{company.address.city}}')).toEqual([]);
    expect(check('{{user.id}} {{user.email}} {{user.phone_number}} {{user.locale}} {{user.timezone}}')).toEqual([]);
    expect(check('{{user.traits.company}} {{user.traits.anything.at.all}}')).toEqual([]);
    expect(check('{{preferences_url}} {{unsubscribe_url}} {{message_id}} {{run_id}} {{digest.count}}')).toEqual([]);
    expect(check('{{tags.any_key}} {{items.length}} {{items.0.title}} {{{first_name}}}')).toEqual([]);
    expect(check('{{! a comment }} {{!-- {{nope}} --}} plain text')).toEqual([]);
  });

  it('names an unknown variable and suggests the closest field', () => {
    expect(check('Hi {{frist_name}}')).toEqual([
      {
        code: 'template-unknown-variable',
        message: 'unknown variable "frist_name": not a field of event "trial_started", nor of the user profile',
        hint: 'did you mean "first_name"?',
        line: 1,
        column: 6,
        variable: 'frist_name',
      },
    ]);
  });

  it('lists what is available when nothing is close', () => {
    const [problem] = check('{{zzz}}');
    expect(problem?.hint).toMatch(/^available: "first_name", "plan_type".*user\.…/);
  });

  it('refuses user.emial, suggesting user.email', () => {
    const [problem] = check('{{user.emial}}');
    expect(problem).toMatchObject({
      code: 'template-unknown-variable',
      message: 'unknown variable "user.emial": "emial" is not a field of the user profile',
      hint: 'did you mean "user.email"?',
      variable: 'user.emial',
    });
  });

  it('points bare profile fields and Courier habits at user', () => {
    expect(check('{{email}}')[0]?.hint).toBe('did you mean "user.email"?');
    expect(check('{{profile.email}}')[0]?.hint).toMatch(/profile is "user"/);
    expect(check('{{usr.email}}')[0]?.hint).toBe('did you mean "user.email"?');
  });

  it('checks nested paths and reads into scalars and lists', () => {
    expect(check('{{company.nmae}}')[0]).toMatchObject({
      message: 'unknown variable "company.nmae": "company" has no field "nmae"',
      hint: 'did you mean "company.name"?',
    });
    expect(check('{{company.address.cty}}')[0]?.hint).toBe('did you mean "company.address.city"?');
    expect(check('{{first_name.x}}')[0]?.message).toBe('unknown variable "first_name.x": "first_name" is a string and has no field "x"');
    expect(check('{{items.title}}')[0]?.hint).toBe("use {{#each items}}…{{/each}} to read each item's fields");
  });

  it('reports the position inside a multi-line string', () => {
    const [problem] = check('Hello,\n\n  thanks {{frist_name}}!');
    expect(problem).toMatchObject({ line: 3, column: 12 });
  });

  it('reports a parse error with its line and column', () => {
    expect(check('Hi\n  {{first_name}')).toEqual([expect.objectContaining({ code: 'template-parse', line: 2, column: 15, hint: 'close the tag with "}}"' })]);
    expect(check('{{#if first_name}}\nyes')[0]).toMatchObject({ code: 'template-parse', message: 'a block is never closed', line: 2 });
    expect(check('{{#if first_name}}x{{/each}}')[0]).toMatchObject({ code: 'template-parse', message: '{{#if}} is closed by {{/each}}', line: 1, column: 4 });
    expect(check('a {{!-- never closed')[0]).toMatchObject({ code: 'template-parse', line: 1, column: 3 });
  });

  it('checks paths inside #each against the item schema', () => {
    expect(check('{{#each items}}{{title}} {{price}} {{@index}} {{@first}} {{this.title}}{{/each}}')).toEqual([]);
    const problems = check('{{#each items}}{{titel}}{{/each}}');
    expect(problems[0]).toMatchObject({ message: 'unknown variable "titel": not a field of the items of "items"', hint: 'did you mean "title"?', column: 18 });
  });

  it('inside #each, top-level names need @root or ../', () => {
    expect(check('{{#each items}}{{@root.first_name}} {{../first_name}} {{@root.user.email}}{{/each}}')).toEqual([]);
    expect(check('{{#each items}}{{first_name}}{{/each}}')[0]?.hint).toMatch(/write "@root.first_name"/);
    expect(check('{{#each items}}{{else}}{{first_name}}{{/each}}')).toEqual([]);
    expect(check('{{../first_name}}')[0]?.message).toMatch(/climbs above the top level/);
  });

  it('checks each over digest.items against the event, and block params', () => {
    expect(check('{{digest.count}}: {{#each digest.items}}{{first_name}} {{company.name}}{{/each}}')).toEqual([]);
    expect(check('{{#each digest.items as |event i|}}{{i}}. {{event.first_name}}{{/each}}')).toEqual([]);
    expect(check('{{#each digest.items as |event|}}{{event.frist_name}}{{/each}}')[0]?.hint).toBe('did you mean "event.first_name"?');
    expect(check('{{#each tags}}{{@key}}={{this}}{{/each}}')).toEqual([]);
  });

  it('knows how many items a digest left out (maxItems), and nothing else beside count and items', () => {
    expect(check('{{#if digest.omitted}}and {{digest.omitted}} more{{/if}}')).toEqual([]);
    expect(check('{{digest.omited}}')[0]?.hint).toBe('did you mean "digest.omitted"?');
  });

  it('#with opens the object; #if and #unless keep the scope', () => {
    expect(check('{{#with company}}{{name}} in {{address.city}}{{/with}}')).toEqual([]);
    expect(check('{{#with company}}{{nmae}}{{/with}}')[0]?.hint).toBe('did you mean "name"?');
    expect(check('{{#if company}}{{company.name}}{{else if first_name}}{{first_name}}{{/if}}{{#unless items}}none{{/unless}}')).toEqual([]);
    expect(check('{{@index}}')[0]?.message).toBe('"@index" is only set inside {{#each}}');
  });

  it('knows the helpers and refuses others', () => {
    expect(check('{{upper first_name}} {{default company.name "you"}} {{formatDate started_at "yyyy-MM-dd"}}')).toEqual([]);
    expect(check('{{#if (eq plan_type "pro")}}pro{{/if}} {{pluralize digest.count "item" "items"}}')).toEqual([]);
    expect(check('{{formatDate started_at timezone="Europe/Paris"}} {{lookup user.traits "plan"}}')).toEqual([]);
    expect(check('{{uper first_name}}')).toEqual([
      { code: 'template-unknown-helper', message: 'unknown helper "uper"', hint: 'did you mean "upper"? ({{upper value}})', line: 1, column: 3 },
    ]);
    expect(check('{{#if (equals plan_type "pro")}}x{{/if}}')[0]).toMatchObject({
      code: 'template-unknown-helper',
      hint: 'did you mean "eq"? ({{#if (eq plan_type "pro")}})',
    });
    expect(check('{{frobnicate first_name}}')[0]?.hint).toMatch(/^helpers: if, unless, each, with, lookup, upper, /);
    expect(check('{{#repeat items}}x{{/repeat}}')[0]?.code).toBe('template-unknown-helper');
    expect(check('{{truncate first_name}}')[0]?.message).toBe('helper "truncate" takes 2 arguments, got 1');
    expect(check('{{upper frist_name}}')[0]?.code).toBe('template-unknown-variable');
    expect(check('{{log first_name}}')[0]?.code).toBe('template-unknown-helper');
    expect(check('{{constructor}} {{toString first_name}}').map((p) => p.code)).toEqual(['template-unknown-variable', 'template-unknown-helper']);
  });

  it('refuses Mustache sections, partials and decorators', () => {
    expect(check('{{#company}}x{{/company}}')[0]?.hint).toBe('write {{#with company}}…{{/with}}');
    expect(check('{{> footer}}')[0]?.code).toBe('template-parse');
  });

  it('accepts anything under a schema that says nothing', () => {
    const open = scopeForEvent({}, 'anything');
    expect(checkTemplateString('{{whatever.deep}} {{user.email}}', open)).toEqual([]);
    expect(checkTemplateString('{{user.emial}}', open)[0]?.code).toBe('template-unknown-variable');
  });

  it('follows $refs, recursive ones included', () => {
    const Node: z.ZodType<{ name: string; children: unknown[] }> = z.object({
      name: z.string(),
      get children() {
        return z.array(Node);
      },
    });
    const recursive = scopeForEvent(z.toJSONSchema(z.object({ tree: Node })) as Record<string, unknown>);
    expect(checkTemplateString('{{#each tree.children}}{{name}}{{#each children}}{{name}}{{/each}}{{/each}}', recursive)).toEqual([]);
    expect(checkTemplateString('{{#each tree.children}}{{nmae}}{{/each}}', recursive)[0]?.hint).toBe('did you mean "name"?');
  });
});

describe('templateVariables', () => {
  it('lists every path read, in mustaches, params, subexpressions and hash values', () => {
    const uses = templateVariables('{{first_name}}\n{{#if (eq plan_type "pro")}}{{formatDate started_at timezone=user.timezone}}{{/if}}{{nope}}', scope);
    expect(uses.map((u) => [u.variable, u.line, u.column, u.known])).toEqual([
      ['first_name', 1, 3, true],
      ['plan_type', 2, 11, true],
      ['started_at', 2, 42, true],
      ['user.timezone', 2, 62, true],
      ['nope', 2, 86, false],
    ]);
  });
});

describe('checkTemplate', () => {
  const template: Template = {
    id: 'welcome',
    event: 'trial_started',
    content: {
      email: { subject: 'Welcome {{first_name}}', html: '<p>{{frist_name}}</p>' },
      push: { title: 'Hi', body: '{{first_name}}', data: { link: '/p/{{plan_tpye}}' } },
    },
    locales: { fr: { email: { subject: 'Bienvenue {{user.emial}}' } } },
  };

  it('checks every field of every channel and locale variant, returning only failures', () => {
    const result = checkTemplate(template, schema);
    expect(result.map(({ channel, field, locale }) => ({ channel, field, locale }))).toEqual([
      { channel: 'email', field: 'html', locale: undefined },
      { channel: 'push', field: 'data.link', locale: undefined },
      { channel: 'email', field: 'subject', locale: 'fr' },
    ]);
    expect(result[0]?.problems[0]?.message).toContain('event "trial_started"');
  });
});

describe('isKnownLocale', () => {
  it('accepts real BCP 47 languages and refuses the rest', () => {
    for (const code of ['en', 'fr', 'pt-BR', 'de-CH', 'zh-Hant-TW', 'es-419']) expect(isKnownLocale(code), code).toBe(true);
    for (const code of ['en_US', 'english', 'xx', 'zz-ZZ', '', '123']) expect(isKnownLocale(code), code).toBe(false);
  });
});
