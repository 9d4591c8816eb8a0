/**
 * Onboarding sent on behalf of a customer's workspace (a tenant): its brand in the email, and its default
 * preferences between the user's own choice and the category's default. On the runtime the tenant is data
 * (`PUT /v1/tenants/acme`) and the trigger names it (`tenant: 'acme'`); here the scenario describes it.
 */
import { expect, scenario } from 'herald/testing';

const ada = { id: 'ada', email: 'ada@example.com', phone_number: '+15555550100' };
const trial = { first_name: 'Ada', plan_type: 'pro' };
/** Acme turns onboarding texts off for all its users. */
const acme = {
  id: 'acme',
  name: 'Acme',
  brand: { name: 'Acme Corp', postalAddress: '42 Acme Way, Gotham' },
  defaultPreferences: { categories: { onboarding: { sms: false } } },
};

scenario(
  "tenant: Acme's brand in the welcome, and its default turns the SMS nudge off",
  { workflow: 'onboarding', user: ada, data: trial, tenant: acme },
  (sim) => {
    expect(sim.sent()).toMatchObject([{ step: 'welcome', channel: 'email', at: '+0s' }]);
    const email = sim.sent()[0]?.content;
    // The footer of the text part: the tenant's brand values, not the default's (Example Inc.).
    expect(email && 'text' in email ? email.text?.split('\n').at(-1) : undefined).toBe('Acme Corp, 42 Acme Way, Gotham');
    sim.advance('2h');
    expect(sim.sent()).toHaveLength(1);
    expect(sim.messages()).toContain({
      step: 'nudge-sms',
      channel: 'sms',
      status: 'skipped',
      reason: 'preference',
      detail: { rule: 'tenant-default' },
      at: '+2h',
    });
    expect(sim.status()).toBe('completed');
  },
);

scenario(
  "tenant: a user who opted in to SMS still gets the nudge (their choice wins over Acme's default)",
  { workflow: 'onboarding', user: ada, data: trial, tenant: acme, preferences: { onboarding: { sms: true } } },
  (sim) => {
    sim.advance('2h');
    expect(sim.sent()).toMatchObject([
      { step: 'welcome', channel: 'email', at: '+0s' },
      { step: 'nudge-sms', channel: 'sms', at: '+2h' },
    ]);
  },
);
