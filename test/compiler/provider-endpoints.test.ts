/**
 * A provider's options.apiUrl: https builds; plain http to a loopback address builds with a warning (a
 * local fake provider in development); any other plain http, or another scheme, fails the build at the
 * field's file:line:col.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { judgeEndpoint } from '../../compiler/bundle/endpoints.ts';
import { buildProject } from '../../compiler/build.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('judgeEndpoint', () => {
  it.each([
    ['https://api.sendgrid.com', 'https'],
    ['https://10.0.0.5:8443/v3', 'https'],
    ['http://127.0.0.1:4010', 'loopback-http'],
    ['http://localhost:4010/base', 'loopback-http'],
    ['http://[::1]:4010', 'loopback-http'],
    ['http://sendgrid.example.com', 'refused'],
    ['http://10.0.0.5', 'refused'],
    // Look-alikes of loopback names are other hosts.
    ['http://localhost.example.com', 'refused'],
    ['http://127.0.0.1.nip.io', 'refused'],
    ['ftp://127.0.0.1', 'refused'],
    ['api.sendgrid.com', 'refused'],
  ])('%s → %s', (url, kind) => {
    expect(judgeEndpoint(url).kind).toBe(kind);
  });
});

describe('the insecure-endpoint fixture', () => {
  it('fails on plain http to another host, warns on plain http to loopback, each at the apiUrl field', async () => {
    const result = await buildProject('test/fixtures/insecure-endpoint', { cwd: root });
    expect(result.bundle).toBeNull();
    expect(result.diagnostics.map((d) => `${d.severity} ${d.file}:${d.line}:${d.column} ${d.code}: ${d.message} | ${d.hint}`)).toEqual([
      'error test/fixtures/insecure-endpoint/index.ts:8:22 insecure-endpoint: provider "plain-sendgrid": options.apiUrl "http://sendgrid.example.com" is plain http to sendgrid.example.com, which is not a loopback address: credentials and messages would cross the network unencrypted | use an https:// URL; plain http is allowed only to localhost, 127.0.0.1 or [::1] (a local fake provider in development)',
      'warning test/fixtures/insecure-endpoint/index.ts:13:22 insecure-endpoint: provider "local-twilio": options.apiUrl "http://127.0.0.1:4010" is plain http to this machine: fine for a local fake provider, never for a deployed bundle | for production, point apiUrl at the provider over https, or remove it to use the provider’s own API',
    ]);
    expect(result.diagnostics.every((d) => d.excerpt.includes('apiUrl'))).toBe(true);
  });
});
