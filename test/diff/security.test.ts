/**
 * Security-relevant flags of `herald diff`: a provider's endpoint (options.apiUrl), kind or credential
 * variable names changing, or a new provider with an endpoint of its own. They are a flag kind of their
 * own, in the model, the Markdown and `--json` (`security: [...]`), and never count as breaking.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Bundle, Provider, Step } from '../../compiler/bundle/schema.ts';
import { diffBundles, emptyBundle } from '../../compiler/diff/diff.ts';
import { renderMarkdown } from '../../compiler/diff/markdown.ts';
import { workflow } from '../setup/engine-bundle.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = fileURLToPath(new URL('../../compiler/cli/herald.js', import.meta.url));

const sendgrid: Provider = { id: 'mail', channel: 'email', kind: 'sendgrid', credentials: { apiKey: { env: 'SENDGRID_API_KEY' } }, options: {} };
const withProviders = (...providers: Provider[]): Bundle => ({
  ...emptyBundle({ retentionMs: 30 * 86_400_000 }),
  providers: Object.fromEntries(providers.map((p) => [p.id, p])),
});
const flags = (base: Bundle, head: Bundle) => diffBundles(base, head).flags.map((f) => `${f.kind}:${f.rule}:${f.id}${f.path ? `:${f.path}` : ''}`);

describe('security flags in the model', () => {
  it('flags an endpoint set where the provider used its own API, and one added with a new provider', () => {
    const proxied = { ...sendgrid, options: { apiUrl: 'https://relay.example.net' } };
    expect(flags(withProviders(sendgrid), withProviders(proxied))).toEqual(['security:provider-endpoint-changed:mail:options.apiUrl']);
    expect(flags(withProviders(), withProviders({ ...proxied, id: 'mail-2' }))).toEqual(['security:provider-endpoint-changed:mail-2']);
  });

  it('flags a credential variable added, renamed or dropped, and a change of kind', () => {
    const head = { ...sendgrid, kind: 'sandbox' as const, credentials: { token: { env: 'OTHER' } } };
    expect(flags(withProviders(sendgrid), withProviders(head))).toEqual([
      'security:provider-kind-changed:mail:kind',
      'security:provider-credentials-changed:mail:credentials.apiKey',
      'security:provider-credentials-changed:mail:credentials.token',
    ]);
  });

  it('leaves the rest alone: a new sender address, another option, a provider without an endpoint', () => {
    const head = { ...sendgrid, from: 'hi@example.com', options: { sandboxMode: true } };
    expect(flags(withProviders(sendgrid), withProviders(head))).toEqual([]);
    expect(flags(withProviders(), withProviders(sendgrid))).toEqual([]);
  });

  it("flags a webhook provider's URL set, changed or added", () => {
    const hook: Provider = {
      id: 'hook',
      channel: 'webhook',
      kind: 'webhook',
      credentials: { secret: { env: 'HOOK_SECRET' } },
      options: { url: 'https://a.example.com/h' },
    };
    expect(flags(withProviders(hook), withProviders({ ...hook, options: { url: 'https://evil.example.net/h' } }))).toEqual([
      'security:provider-endpoint-changed:hook:options.url',
    ]);
    expect(flags(withProviders(), withProviders(hook))).toEqual(['security:provider-endpoint-changed:hook']);
  });

  it('flags a fetch step added, or its URL or headers changed, even inside a branch arm', () => {
    const fetch = (url: string, headers: Extract<Step, { kind: 'fetch' }>['headers'] = {}): Step => ({
      id: 'cart',
      kind: 'fetch',
      url,
      headers,
      response: { type: 'object' },
      timeoutMs: 5_000,
      onError: 'fail',
    });
    const inArm = (step: Step): Step => ({ id: 'b', kind: 'branch', arms: [{ when: { op: 'and', all: [] }, steps: [step] }], otherwise: [] });
    const withFetch = (step: Step) => ({ ...withProviders(), workflows: { w: workflow('w', [inArm(step)]) } });
    const before = withFetch(fetch('https://shop.example.com/carts/{{id}}', { authorization: { env: 'SHOP_TOKEN' } }));
    expect(flags(withProviders(), before)).toEqual(['security:fetch-request-changed:w:steps.cart.url']);
    const after = withFetch(fetch('https://collector.example.net/{{id}}', { authorization: { env: 'HERALD_API_KEY' }, accept: { value: 'x' } }));
    expect(flags(before, after)).toEqual([
      'security:fetch-request-changed:w:steps.cart.url',
      'security:fetch-request-changed:w:steps.cart.headers.accept',
      'security:fetch-request-changed:w:steps.cart.headers.authorization',
    ]);
    expect(diffBundles(before, after).flags.find((f) => f.path === 'steps.cart.headers.authorization')?.message).toContain('`$SHOP_TOKEN` → `$HERALD_API_KEY`');
    expect(flags(before, withFetch(fetch('https://shop.example.com/carts/{{id}}', { authorization: { env: 'SHOP_TOKEN' } })))).toEqual([]);
  });

  it("flags a broadcast's fetch step added, or its URL or headers changed", () => {
    const fetch = (url: string, env: string): Step => ({
      id: 'stock',
      kind: 'fetch',
      url,
      headers: { authorization: { env } },
      response: { type: 'object' },
      timeoutMs: 5_000,
      onError: 'fail',
    });
    const withBroadcast = (...steps: Step[]): Bundle => ({
      ...withProviders(),
      broadcasts: { launch: { id: 'launch', recipients: { list: 'everyone' }, steps } },
    });
    expect(flags(withBroadcast(), withBroadcast(fetch('https://shop.example.com/stock', 'SHOP_TOKEN')))).toEqual([
      'security:fetch-request-changed:launch:steps.stock.url',
    ]);
    const after = withBroadcast(fetch('https://collector.example.net/stock', 'SENDGRID_API_KEY'));
    expect(flags(withBroadcast(fetch('https://shop.example.com/stock', 'SHOP_TOKEN')), after)).toEqual([
      'security:fetch-request-changed:launch:steps.stock.url',
      'security:fetch-request-changed:launch:steps.stock.headers.authorization',
    ]);
    const flag = diffBundles(withBroadcast(), after).flags.find((f) => f.rule === 'fetch-request-changed');
    expect(flag).toMatchObject({ section: 'broadcasts', message: expect.stringContaining('Broadcast `launch`, fetch `stock` added') });
  });

  it('lists them in a Markdown alert of their own, and marks the change lines', () => {
    const head = withProviders({ ...sendgrid, options: { apiUrl: 'https://relay.example.net' } });
    const markdown = renderMarkdown(diffBundles(withProviders(sendgrid), head), head);
    expect(markdown).toContain('> [!IMPORTANT]\n> **1 security-relevant change: endpoints or credentials**');
    expect(markdown).toContain('- option `apiUrl` unset → `"https://relay.example.net"` — 🔒 **security-relevant**');
    expect(markdown).not.toContain('[!CAUTION]');
  });
});

describe('herald diff --json', () => {
  it('carries the security-relevant flags as `security`, apart from the breaking and re-subscribe counts', async () => {
    const fixture = (side: string) => `test/diff/fixtures/provider-endpoint-changed/${side}`;
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [bin, 'diff', fixture('before'), fixture('after'), '--json'], { cwd: root }, (error, out, err) =>
        error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out),
      ),
    );
    const report = JSON.parse(stdout) as { breaking: number; resubscribe: number; security: { rule: string; id: string; path?: string; message: string }[] };
    expect({ breaking: report.breaking, resubscribe: report.resubscribe }).toEqual({ breaking: 0, resubscribe: 0 });
    expect(report.security.map((f) => `${f.rule}:${f.id}:${f.path}`)).toEqual([
      'provider-endpoint-changed:sendgrid:options.apiUrl',
      'provider-credentials-changed:sendgrid:credentials.apiKey',
      'provider-kind-changed:sms:kind',
    ]);
    expect(report.security[0]!.message).toContain('`https://mail-relay.example.net/v3`');
  }, 90_000);
});
