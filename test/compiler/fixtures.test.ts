/**
 * One broken notifications tree per compiler check (test/fixtures/<code>/), each pinned to the exact message
 * and file:line it must produce. A check that stops firing, or fires at the wrong place, fails here.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildProject } from '../../compiler/build.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
// The compliance lint's warnings have their own tests (compiler/compliance, test/compiler/compliance.test.ts): the
// fixtures' shared email has no footer, and each fixture pins the one check it is about.
const build = async (name: string) => {
  const result = await buildProject(`test/fixtures/${name}`, { cwd: root });
  return { ...result, diagnostics: result.diagnostics.filter((d) => !d.code.startsWith('compliance-')) };
};
const brief = (d: { code: string; file: string; line: number; message: string; hint?: string }) =>
  `${d.file.replace('test/fixtures/', '')}:${d.line} ${d.code}: ${d.message}${d.hint ? ` | ${d.hint}` : ''}`;

describe('compiler fixtures', () => {
  it('compiles the valid fixture with no diagnostics', async () => {
    const result = await build('valid');
    expect(result.diagnostics.map(brief)).toEqual([]);
    expect(result.bundle?.workflows.onboarding?.steps.map((s) => s.id)).toEqual(['welcome', 'welcome-opened', 'follow-up']);
  });

  const cases: [fixture: string, expected: string[]][] = [
    [
      'bad-audience',
      [
        'bad-audience/index.ts:6 bad-audience: audience "typo": unknown trait "plann" (not in settings traits) | did you mean "plan"?',
        'bad-audience/index.ts:7 bad-audience: audience "wrong-operator": trait "seats" is a number: it has no "startsWith" | use one of: eq, ne, in, gt, gte, lt, lte, exists',
        'bad-audience/index.ts:8 bad-audience: audience "never-equal": trait "plan" can never equal "enterprise" | its values are "free", "pro"',
        'bad-audience/index.ts:9 bad-audience: audience "unknown-category": unknown category "onboardin" | did you mean "onboarding"?',
        'bad-audience/index.ts:10 bad-audience: audience "bad-date": field "created_at".gt(…) got "last tuesday" | pass a date (a Date or an ISO date-time)',
      ],
    ],
    [
      'bad-fetch',
      [
        'bad-fetch/index.ts:8 bad-fetch: fetch "account": url reads {{frist_name}}, but event "trial_started" has no field "frist_name" | did you mean "first_name"?',
        'bad-fetch/index.ts:9 bad-fetch: branch "plan": "fetched.account.plna": the response of fetch "account" has no field "plna" | did you mean "plan"?',
      ],
    ],
    [
      'bad-step-reference',
      [
        'bad-step-reference/index.ts:8 bad-step-reference: step "opened" refers to "welcome", which is not a send that always runs before it | move "opened" after send "welcome", on the same path (not inside a branch arm that may be skipped)',
      ],
    ],
    [
      'bad-until',
      [
        'bad-until/index.ts:8 bad-until: delay "until-name" waits until data.first_name, but "first_name" of event "trial_started" is not a date-time string | declare it z.iso.datetime() in the schema of "trial_started" (JSON Schema format date-time), so every run carries a moment the runtime can read',
        'bad-until/index.ts:9 bad-until: delay "until-typo" waits until data.frist_name, but event "trial_started" has no field "frist_name" | did you mean "first_name"?',
      ],
    ],
    [
      'cap-never-applies',
      [
        'cap-never-applies/index.ts:6 cap-never-applies: settings limits[1] caps category "security", which is required: its sends are never capped, so this cap could never apply | remove it: required categories (receipts, security codes) always go out; to bound how many messages a user gets on a channel, cap the channel',
      ],
    ],
    [
      'bad-match',
      [
        'bad-match/index.ts:12 bad-match: workflow "onboarding", cancelOn "trial_ended": match "days" → "first_name" pairs event "trial_ended" with the trigger "trial_started", but "days" is a number and "first_name" is a string: they can never be equal | pair fields that hold the same kind of value (an id with the same id)',
        'bad-match/index.ts:15 bad-match: workflow "onboarding", waitFor "ended": match "plan_typ" → "plan_type" pairs event "trial_ended" with the trigger "trial_started", but "plan_typ" is not a field of "trial_ended" | did you mean "plan_type"?',
      ],
    ],
    [
      'critical-not-required',
      [
        'critical-not-required/index.ts:8 critical-not-required: send "welcome" is critical, but workflow "onboarding" is in category "onboarding", which is not required | critical sends bypass preferences and quiet hours, so they are allowed only in a required category (security codes, receipts)',
      ],
    ],
    [
      'duplicate-id',
      [
        'duplicate-id/index.ts:5 duplicate-id: template "welcome" is defined more than once (first at test/fixtures/_base.ts:12) | rename one of them; template ids must be unique across the notifications folder',
        'duplicate-id/index.ts:10 duplicate-id: step id "hello" is used twice in workflow "onboarding" (first at line 9) | step ids must be unique within a workflow: waits, logs and runs in flight refer to them',
      ],
    ],
    [
      'evaluate-error',
      [
        'evaluate-error/broken.ts:4 evaluate-error: evaluating this file failed: boom while defining things | definitions must evaluate without errors; fix the line above (the other files were still checked)',
        'evaluate-error/other.ts:5 template-unknown-variable: template "other", sms.body: unknown variable "frist_name": not a field of event "trial_started", nor of the user profile | did you mean "first_name"?',
      ],
    ],
    [
      'exceeds-retention',
      [
        'exceeds-retention/index.ts:11 exceeds-retention: a run can reach step "opened" after 34d, longer than the retention of 30d: its data could be gone | shorten the waits, or raise settings({ retention }) to at least \'34d\'',
      ],
    ],
    [
      'import-not-allowed',
      [
        'import-not-allowed/index.ts:1 import-not-allowed: import of "node:fs" is not allowed in notifications: the bundle must depend only on these sources | import the DSL from \'herald\' (it re-exports z from zod) and share code through sibling files',
      ],
    ],
    [
      'insecure-endpoint',
      [
        'insecure-endpoint/index.ts:8 insecure-endpoint: provider "plain-sendgrid": options.apiUrl "http://sendgrid.example.com" is plain http to sendgrid.example.com, which is not a loopback address: credentials and messages would cross the network unencrypted | use an https:// URL; plain http is allowed only to localhost, 127.0.0.1 or [::1] (a local fake provider in development)',
        'insecure-endpoint/index.ts:13 insecure-endpoint: provider "local-twilio": options.apiUrl "http://127.0.0.1:4010" is plain http to this machine: fine for a local fake provider, never for a deployed bundle | for production, point apiUrl at the provider over https, or remove it to use the provider’s own API',
      ],
    ],
    ['invalid-duration', ["invalid-duration/index.ts:8 invalid-duration: \"2 hours\" is not a duration | write e.g. '45s', '30m', '2h' or '7d'"]],
    [
      'invalid-schema',
      [
        'invalid-schema/index.ts:5 invalid-schema: the schema of event "order_placed" cannot be put in the bundle: Transforms cannot be represented in JSON Schema | event schemas must round-trip as JSON Schema: remove transforms, refinements with code, and custom types',
      ],
    ],
    [
      'missing-channel-content',
      [
        'missing-channel-content/index.ts:8 missing-channel-content: send "nudge" uses sms, but template "email-only" has no sms content | add sms: { … } to template "email-only", or remove sms from this send',
      ],
    ],
    [
      'read-sync',
      [
        "read-sync/index.ts:12 invalid-definition: send \"email-only\" has readSync, but no in-app channel: only reading the in-app item marks the other channels read | add 'inapp' to the send's channels, or remove readSync",
        "read-sync/index.ts:13 invalid-definition: send \"inapp-only\" has readSync, but in-app is its only channel: there is no other message to mark read | route the send to inapp and another channel (routing: { method: 'all', channels: ['email', 'inapp'] }), or remove readSync",
      ],
    ],
    [
      'no-provider',
      ["no-provider/index.ts:8 no-provider: send \"ping\" uses push, but no provider serves push | define provider('…', { channel: 'push', kind: … })"],
    ],
    [
      'non-deterministic',
      [
        'non-deterministic/index.ts:5 non-deterministic: Date.now reads the clock: a build would depend on when or where it runs | use fixed values; time-dependent behaviour belongs in steps (delay, waitFor, window)',
        "non-deterministic/index.ts:7 non-deterministic: process.env.SENDER reads the build machine's environment | credentials belong in provider({ credentials: { apiKey: env('NAME') } }); the runtime reads the value where it runs",
      ],
    ],
    [
      'template-event-mismatch',
      [
        'template-event-mismatch/index.ts:9 template-event-mismatch: send "receipt" uses template "receipt", written for event "order_placed", in a workflow triggered by "trial_started" | use a template whose data is the "trial_started" event',
      ],
    ],
    [
      'template-reads-data',
      [
        'template-reads-data/index.ts:6 template-reads-data: broadcast "launch" sends template "welcome", whose sms.body reads {{first_name}}, a field of event "trial_started" (test/fixtures/_base.ts:15): a broadcast has no trigger data | a broadcast template reads the recipient ({{user.email}}, {{user.traits.first_name}}) and the built-ins ({{unsubscribe_url}}, {{preferences_url}}); write one without event fields',
      ],
    ],
    [
      'mjml-error',
      [
        'mjml-error/index.ts:13 mjml-error: template "promo", email.mjml: MJML: Element mj-buton doesn\'t exist or is not registered | check the spelling; MJML\'s standard elements are listed at https://documentation.mjml.io',
      ],
    ],
    [
      'template-parse',
      ['template-parse/index.ts:8 template-parse: template "promo", email.text: a block is never closed | add the closing tag, e.g. {{/if}} or {{/each}}'],
    ],
    [
      'template-unknown-variable',
      [
        'template-unknown-variable/index.ts:7 template-unknown-variable: template "promo", sms.body: unknown variable "frist_name": not a field of event "trial_started", nor of the user profile | did you mean "first_name"?',
      ],
    ],
    [
      'ts-error',
      ['ts-error/index.ts:8 ts-error: TS2345: Argument of type \'"plan_typ"\' is not assignable to parameter of type \'"first_name" | "plan_type"\'.'],
    ],
    [
      'unknown-locale',
      [
        'unknown-locale/index.ts:8 unknown-locale: template "promo" has a variant for unknown locale "xx" | use a BCP 47 code of a real language, e.g. "fr", "pt-BR", "de-CH"',
      ],
    ],
    [
      'unknown-reference',
      [
        'unknown-reference/index.ts:7 unknown-reference: workflow "onboarding" is in unknown category "onboardng" | did you mean "onboarding"?',
        'unknown-reference/index.ts:8 unknown-reference: send "hello" uses unknown template "welcom" | did you mean "welcome"?',
      ],
    ],
    [
      'unreachable-step',
      [
        'unreachable-step/index.ts:9 unreachable-step: step "welcome" can never run: every path before it ends the run | remove it, or move it before the cancel',
      ],
    ],
    [
      'window-never-opens',
      [
        "window-never-opens/index.ts:8 window-never-opens: this send window can never open: its hours '09:00-09:00' start and end at the same minute, an empty span | widen the hours or days, e.g. { days: 'mon-fri', hours: '09:00-20:00' }",
      ],
    ],
  ];
  it.each(cases)('%s', async (fixture, expected) => {
    const result = await build(fixture);
    expect(result.bundle).toBeNull();
    expect(result.diagnostics.map(brief)).toEqual(expected);
    for (const d of result.diagnostics) expect(d.excerpt.length).toBeGreaterThan(0);
  });
});
