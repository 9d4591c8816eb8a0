/**
 * snakeCase, rewritten as linear passes (the regex form backtracked quadratically on runs of capitals), must
 * give every name the same event as before: the old implementation is kept here as the reference.
 */
import { describe, expect, it } from 'vitest';
import { snakeCase } from './names.ts';

/** The implementation before the rewrite, verbatim. Quadratic on `'A'.repeat(n)`: only fed short names here. */
function regexSnakeCase(name: string): string {
  return name
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

const CORPUS = [
  'Trial Started',
  'trialStarted',
  'trial-started',
  ' Trial.Started ',
  'Trial.Started ',
  'trial_started',
  'TrialStarted',
  'HTTPRequest Sent',
  'HTMLParser',
  'parseHTMLString',
  'getHTTP2Response',
  'ABCDef',
  'ABcDEf',
  'Order Completed',
  'Checkout Step Viewed',
  'Product Added to Wishlist',
  'Signed Up',
  'user_signed_up',
  'cart__abandoned',
  '__private__',
  'v2Event',
  'Event2Fired',
  'A',
  'a',
  'AB',
  'Ab',
  'aB',
  '',
  '   ',
  '---',
  'Ünïcödé Event',
  'İstanbul Visit',
  'Kelvin\u212A Reading',
  'emoji 🎉 Party',
  'tab\tseparated\nname',
  'MixedCASEName',
  'XMLHttpRequest',
  'iOS App Opened',
  'SKU 123 Added',
];

/** A small deterministic generator (mulberry32), so the sample is the same on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('snakeCase', () => {
  it('gives the regex implementation’s result for every name of the corpus', () => {
    expect(CORPUS.map((name) => [name, snakeCase(name)])).toEqual(CORPUS.map((name) => [name, regexSnakeCase(name)]));
  });

  it('pins the usual forms', () => {
    expect(['Trial Started', 'trialStarted', 'trial-started', 'Trial.Started ', 'HTMLParser', 'getHTTP2Response'].map(snakeCase)).toEqual([
      'trial_started',
      'trial_started',
      'trial_started',
      'trial_started',
      'html_parser',
      'get_http2_response',
    ]);
  });

  it('agrees with the regex implementation on 20,000 generated names', () => {
    const next = random(20_240_611);
    const alphabet = ['a', 'b', 'Z', 'A', 'B', '1', '0', ' ', '_', '-', '.', 'é', 'İ', '\u212A', '🎉'];
    for (let n = 0; n < 20_000; n++) {
      const length = Math.floor(next() * 12);
      let name = '';
      for (let i = 0; i < length; i++) name += alphabet[Math.floor(next() * alphabet.length)];
      expect([name, snakeCase(name)]).toEqual([name, regexSnakeCase(name)]);
    }
  });

  it('handles pathological names in one pass (the regex form takes minutes on these; the test timeout is 30 s)', () => {
    // 500,000 capitals: the regex form's backtracking is quadratic in the run's length (about two minutes).
    expect(snakeCase('A'.repeat(500_000))).toBe('a'.repeat(500_000));
    expect(snakeCase(`${'A'.repeat(500_000)}1`)).toBe(`${'a'.repeat(500_000)}1`);
    expect(snakeCase('aA'.repeat(250_000))).toBe('a_a'.repeat(250_000));
    expect(snakeCase(`a${' '.repeat(500_000)}b`)).toBe('a_b');
  });
});
