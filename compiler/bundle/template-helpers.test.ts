import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { ALL_HELPERS, HELPER_ALIASES, HELPER_NAMES, registerHelpers } from './template-helpers.ts';

const at = '2024-03-05T23:30:00Z';
const hb = Handlebars.create();
registerHelpers(hb);
const render = (source: string, context: Record<string, unknown> = {}, data?: Record<string, unknown>) =>
  hb.compile(source, { noEscape: true })(context, data ? { data } : undefined);

describe('helpers', () => {
  it('registers every name it lists, and only on the given environment', () => {
    for (const name of HELPER_NAMES) expect(hb.helpers[name], name).toBeTypeOf('function');
    expect(Handlebars.helpers.upper).toBeUndefined();
    for (const target of Object.values(HELPER_ALIASES)) expect(ALL_HELPERS.has(target), target).toBe(true);
  });

  it('formats text', () => {
    expect(render('{{upper name}} {{lower name}} {{capitalize word}} [{{trim pad}}]', { name: 'Ada', word: 'hello', pad: '  x ' })).toBe('ADA ada Hello [x]');
    expect(render('{{truncate text 5}}|{{truncate text 50}}', { text: 'abcdefgh' })).toBe('abcd…|abcdefgh');
    expect(render('{{join tags}}|{{join tags " / "}}', { tags: ['a', 'b'] })).toBe('a, b|a / b');
    expect(render('{{upper missing}}')).toBe('');
  });

  it('default falls back on missing or empty values only', () => {
    expect(render('{{default name "there"}}', {})).toBe('there');
    expect(render('{{default name "there"}}', { name: '' })).toBe('there');
    expect(render('{{default count 5}}', { count: 0 })).toBe('0');
    expect(render('{{default name "there"}}', { name: 'Ada' })).toBe('Ada');
  });

  it('pluralize picks the word for the count', () => {
    expect(render('{{n}} {{pluralize n "comment" "comments"}}', { n: 1 })).toBe('1 comment');
    expect(render('{{n}} {{pluralize n "comment" "comments"}}', { n: 3 })).toBe('3 comments');
    expect(render('{{pluralize n "reply"}}', { n: 0 })).toBe('replys');
    expect(render('{{pluralize n "person" "people"}}', { n: '1' })).toBe('person');
  });

  it('compares, as values and as blocks', () => {
    expect(render('{{#if (eq plan "pro")}}pro{{else}}free{{/if}}', { plan: 'pro' })).toBe('pro');
    expect(render('{{#if (eq n 2)}}two{{/if}}', { n: '2' })).toBe('two');
    expect(render('{{#if (gt n 1)}}many{{/if}}{{#if (lte n 1)}}one{{/if}}', { n: 3 })).toBe('many');
    expect(render('{{#if (and a (not b))}}yes{{/if}}{{#if (or b c)}}!{{/if}}', { a: 1, b: '', c: true })).toBe('yes!');
    expect(render('{{#eq plan "pro"}}P{{else}}F{{/eq}}', { plan: 'free' })).toBe('F');
    expect(render('{{ne a b}}', { a: 1, b: 2 })).toBe('true');
  });

  it('formatDate uses the recipient timezone and locale', () => {
    expect(render('{{formatDate at "yyyy-MM-dd HH:mm"}}', { at })).toBe('2024-03-05 23:30');
    expect(render('{{formatDate at "yyyy-MM-dd HH:mm"}}', { at, user: { timezone: 'Europe/Paris' } })).toBe('2024-03-06 00:30');
    expect(render('{{#each xs}}{{formatDate this "d MMM, h:mm a"}}{{/each}}', { xs: [at], user: { timezone: 'America/New_York' } })).toBe('5 Mar, 6:30 PM');
    expect(render('{{formatDate at "EEEE d MMMM"}}', { at, user: { locale: 'fr', timezone: 'UTC' } })).toBe('mardi 5 mars');
    expect(render('{{formatDate at "long"}}', { at, user: { timezone: 'UTC' } }, { locale: 'de' })).toBe('5. März 2024');
    expect(render('{{formatDate at "iso"}}', { at: Date.UTC(2024, 0, 1) })).toBe('2024-01-01T00:00:00.000Z');
    expect(render('{{formatDate at "\'Day\' d" timezone="Asia/Tokyo"}}', { at })).toBe('Day 6');
  });

  it('never throws on bad input', () => {
    expect(render('{{formatDate at}}', { at: 'not a date' })).toBe('not a date');
    expect(render('{{formatDate at "short"}}', { at, user: { timezone: 'Mars/Olympus', locale: '!!' } })).toBe('3/5/24');
    expect(render('{{formatCurrency n "NOPE!"}}', { n: 5 })).toBe('5');
    expect(render('{{formatCurrency n "EUR"}}', { n: 5 }, { locale: 'fr' })).toBe('5,00\u00a0€');
    expect(render('{{formatNumber n 1}}', { n: 1234.56 })).toBe('1,234.6');
    expect(render('{{formatNumber n}}', { n: 'abc' })).toBe('abc');
  });
});
