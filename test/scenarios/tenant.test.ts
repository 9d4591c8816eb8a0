/**
 * A scenario's `tenant` (`herald/testing`): the runs send for it on the in-memory driver as a trigger's `tenant`
 * does on the runtime — its default preferences between the user's choice and the category's default (the
 * engine's `tenant-default` rule), its brand over the bundle's default in every render, its preference link —
 * and it is refused where `PUT /v1/tenants/:id` refuses it. No database, no network. test/scenarios/runtime-parity
 * replays the shipped tenant scenario on the runtime.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import { buildProject } from '../../compiler/build.ts';
import { simulate, SimulationSetupError, type SimulateOptions } from 'herald/testing';

const root = fileURLToPath(new URL('../..', import.meta.url));
let bundle: Bundle;

beforeAll(async () => {
  const built = await buildProject('notifications', { cwd: root });
  if (!built.bundle) throw new Error(built.diagnostics.map((d) => d.message).join('; '));
  bundle = built.bundle;
}, 60_000);

const ada = { id: 'ada', email: 'ada@example.com', phone_number: '+15555550100' };
const trial = { first_name: 'Ada', plan_type: 'pro' };
const acme = {
  id: 'acme',
  name: 'Acme',
  brand: { name: 'Acme Corp', colors: { primary: '#ff0000' } },
  defaultPreferences: { categories: { onboarding: { sms: false, email: false } } },
};
const onboarding = (extra: Partial<SimulateOptions> = {}) => simulate(bundle, 'onboarding', { user: ada, data: trial, ...extra });

/** The claim a preference link carries (its payload; the preview's signer is a throwaway, so only read here). */
const claimOf = (text: string) => {
  const token = /\/preferences\/([\w-]+)\.[\w-]+/.exec(text)![1]!;
  return JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
};

describe('a scenario tenant: default preferences', () => {
  it("turns a category's channel off with the rule tenant-default; the user's own choice still wins", () => {
    const quiet = onboarding({ tenant: acme }).advance('2h');
    expect(quiet.messages()).toMatchObject([
      { step: 'welcome', channel: 'email', status: 'skipped', reason: 'preference', detail: { rule: 'tenant-default' }, at: '+0s' },
      { step: 'nudge-sms', channel: 'sms', status: 'skipped', reason: 'preference', detail: { rule: 'tenant-default' }, at: '+2h' },
    ]);

    const chose = onboarding({ tenant: acme, preferences: { onboarding: { email: true } } }).advance('2h');
    expect(chose.messages().map((m) => `${m.step}:${m.status}`)).toEqual(['welcome:sent', 'nudge-sms:skipped']);

    // Without the tenant, the category's defaults: both go out.
    expect(
      onboarding()
        .advance('2h')
        .sent()
        .map((m) => m.step),
    ).toEqual(['welcome', 'nudge-sms']);
  });

  it('applies to every run the simulation starts (a trigger event sent again), and never to a required category', () => {
    const sim = onboarding({ tenant: acme, preferences: { onboarding: { email: true } } });
    sim.advance('10m').event('trial_started', trial);
    expect(sim.messages().filter((m) => m.step === 'welcome')).toMatchObject([
      { run: 'run-1', status: 'sent' },
      { run: 'run-2', status: 'sent' },
    ]);
    sim.advance('3h');
    expect(sim.messages().filter((m) => m.step === 'nudge-sms')).toMatchObject([
      { run: 'run-1', status: 'skipped', detail: { rule: 'tenant-default' } },
      { run: 'run-2', status: 'skipped', detail: { rule: 'tenant-default' } },
    ]);

    // A required category: the tenant's defaults have no say (and cannot turn it off: refused below).
    const code = simulate(bundle, 'security-code', { user: ada, data: { code: '482915', expires_in_minutes: 10 }, tenant: acme });
    expect(code.sent()).toMatchObject([{ status: 'sent' }]);
    expect(code.messages().filter((m) => m.status === 'skipped')).toEqual([]);
  });
});

describe('a scenario tenant: brand and links', () => {
  it('renders its brand over the default key by key, and a preference link naming it', () => {
    const [welcome] = onboarding({ tenant: { ...acme, defaultPreferences: { categories: {} } } }).sent();
    const { html, text } = welcome!.content as { html: string; text: string };
    expect(text).toContain('Acme Corp, 1 Example Street, Springfield'); // the postal address the tenant left to the default
    expect(html).toContain('color:#ff0000');
    expect(claimOf(text)).toMatchObject({ kind: 'preferences', userId: 'ada', tenant: 'acme' });

    const [plain] = onboarding().sent();
    const plainText = String((plain!.content as { text: string }).text);
    expect(plainText).toContain('Example Inc., 1 Example Street, Springfield');
    expect(claimOf(plainText)).not.toHaveProperty('tenant');
  });
});

describe('a scenario tenant: refused as the tenants API refuses it', () => {
  const refused = (tenant: unknown) => {
    try {
      onboarding({ tenant: tenant as SimulateOptions['tenant'] });
    } catch (error) {
      expect(error).toBeInstanceOf(SimulationSetupError);
      return (error as Error).message;
    }
    throw new Error('not refused');
  };

  it('names the brand key the bundle does not declare, and the declared ones', () => {
    expect(refused({ id: 'acme', brand: { slogan: 'Go' } })).toBe(
      'tenant.brand: key "slogan" is not declared by settings({ brand }) (declared: name, logoUrl, colors.primary, postalAddress)',
    );
    expect(refused({ id: 'acme', brand: { colors: { secondary: '#000' } } })).toMatch(/key "colors.secondary"/);
  });

  it('refuses defaults for unknown categories, a required category turned off, and unknown fields', () => {
    expect(refused({ id: 'acme', defaultPreferences: { categories: { nope: { email: false } } } })).toMatch(
      /^tenant\.defaultPreferences: unknown category "nope"/,
    );
    expect(refused({ id: 'acme', defaultPreferences: { categories: { security: { sms: false } } } })).toBe(
      'tenant.defaultPreferences: category "security" is required and cannot be opted out of',
    );
    expect(refused({ id: 'acme', defaults: {} })).toMatch(/tenant: Unrecognized key: "defaults"/);
    expect(refused({ id: '' })).toMatch(/tenant\.id/);
  });
});
