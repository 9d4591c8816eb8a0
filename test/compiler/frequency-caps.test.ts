/**
 * `settings({ limits })`: frequency caps compile to `settings.limits` (durations in ms, categories by id), only
 * when set, so a bundle without caps keeps its bytes; every mistake is reported at its field's file:line:col.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildProject } from '../../compiler/build.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const build = (name: string) => buildProject(`test/fixtures/${name}`, { cwd: root });
const DAY = 86_400_000;

describe('frequency caps in the bundle', () => {
  it('lowers a channel cap and a category cap (given by reference) to settings.limits', async () => {
    const result = await build('frequency-caps-valid');
    expect(result.diagnostics).toEqual([]);
    expect(result.bundle?.settings).toEqual({
      retentionMs: 30 * DAY,
      limits: [
        { channel: 'sms', max: 3, perMs: DAY },
        { category: 'onboarding', max: 5, perMs: 7 * DAY },
      ],
    });
  });

  it('writes no limits key without caps: bundles of the previous release keep their bytes and version', async () => {
    const result = await build('valid');
    expect(result.bundle?.settings).toEqual({ retentionMs: 30 * DAY });
    expect(Object.keys(result.bundle!.settings)).toEqual(['retentionMs']);
  });

  it('ships the example with an SMS cap of 3 a day', async () => {
    const result = await buildProject('notifications', { cwd: root });
    expect(result.bundle?.settings.limits).toEqual([{ channel: 'sms', max: 3, perMs: DAY }]);
  });
});

describe('frequency cap diagnostics', () => {
  it('reports each mistake at its field', async () => {
    const result = await build('frequency-caps');
    expect(result.bundle).toBeNull();
    expect(
      result.diagnostics.map((d) => `${d.severity} ${d.file.replace('test/fixtures/', '')}:${d.line}:${d.column} ${d.code}: ${d.message} | ${d.hint}`),
    ).toEqual([
      "error frequency-caps/index.ts:9:28 invalid-definition: settings limits[0]: max must be a whole number of messages, at least 1 (got 0) | e.g. { channel: 'sms', max: 3, per: '1d' } or { category: promotions, max: 5, per: '1w' }",
      'error frequency-caps/index.ts:10:17 unknown-reference: settings limits[1] caps unknown category "onbording" | did you mean "onboarding"?',
      "error frequency-caps/index.ts:11:42 exceeds-retention: settings limits[2] counts sends over 60d, longer than the retention of 30d: older messages are gone, so the count would be too low | count over at most '30d', or raise settings({ retention }) to at least '60d'",
      "error frequency-caps/index.ts:12:30 invalid-definition: settings limits[3]: max must be a whole number of messages, at least 1 (got 2.5) | e.g. { channel: 'sms', max: 3, per: '1d' } or { category: promotions, max: 5, per: '1w' }",
      "error frequency-caps/index.ts:12:40 invalid-duration: \"1 day\" is not a duration | write e.g. '45s', '30m', '2h' or '7d'",
      "error frequency-caps/index.ts:13:5 invalid-definition: settings limits[4] names neither a channel nor a category: a cap counts one or the other | e.g. { channel: 'sms', max: 3, per: '1d' } or { category: promotions, max: 5, per: '1w' }",
    ]);
  });
});
