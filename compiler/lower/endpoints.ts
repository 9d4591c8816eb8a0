/**
 * A provider's `options.apiUrl` must be https. The compiler cannot know where a bundle will run, so plain
 * http to a loopback address (a local fake provider) builds, with a warning that it only works on the
 * developer's own machine; plain http anywhere else, or another scheme, fails the build. The runtime
 * applies the same rule again when it loads a bundle (compiler/bundle/endpoints.ts).
 */
import { judgeEndpoint } from '../bundle/endpoints.ts';
import type { ProviderDefinition } from '../dsl/definitions.ts';
import type { LowerContext } from './context.ts';

export function checkProviderEndpoint(ctx: LowerContext, def: ProviderDefinition, file: string): void {
  // A webhook provider's URL written in the bundle (not read from the environment) is held to the same rule.
  const key = def.provider === 'webhook' ? 'url' : 'apiUrl';
  const apiUrl = def.options[key];
  if (apiUrl === undefined) return;
  const at = () => ctx.where('provider', def.id, file, key === 'url' ? ['url'] : ['options', 'apiUrl']);
  if (typeof apiUrl !== 'string') {
    ctx.report(
      'insecure-endpoint',
      at(),
      `provider "${def.id}": ${key === 'url' ? 'url' : 'options.apiUrl'} must be a URL string`,
      "write e.g. apiUrl: 'https://api.example.com'",
    );
    return;
  }
  const verdict = judgeEndpoint(apiUrl);
  if (verdict.kind === 'refused') {
    ctx.report(
      'insecure-endpoint',
      at(),
      `provider "${def.id}": ${key === 'url' ? 'url' : 'options.apiUrl'} "${apiUrl}" ${verdict.why}`,
      'use an https:// URL; plain http is allowed only to localhost, 127.0.0.1 or [::1] (a local fake provider in development)',
    );
  } else if (verdict.kind === 'loopback-http') {
    ctx.report(
      'insecure-endpoint',
      at(),
      `provider "${def.id}": ${key === 'url' ? 'url' : 'options.apiUrl'} "${apiUrl}" is plain http to this machine: fine for a local fake provider, never for a deployed bundle`,
      'for production, point apiUrl at the provider over https, or remove it to use the provider’s own API',
      'warning',
    );
  }
}
