/**
 * Where a provider's API calls go (`options.apiUrl`). Credentials travel with every call, so the endpoint
 * must be https. Plain http is tolerated only to this machine's loopback address, where a local fake
 * provider or a tunnel listens during development and tests; anywhere else it would send API keys and
 * message contents in clear over the network. One rule, shared by the compiler (a diagnostic) and the
 * runtime (a refusal at start), so the two cannot drift apart.
 */
import type { Bundle } from './schema.ts';

/** Host names that always mean this machine (URL.hostname keeps IPv6 in brackets). */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export type EndpointVerdict =
  | { kind: 'https' }
  /** Allowed, but only a development setting: the compiler warns. */
  | { kind: 'loopback-http' }
  | { kind: 'refused'; why: string };

export function judgeEndpoint(apiUrl: string): EndpointVerdict {
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    return { kind: 'refused', why: 'is not an absolute URL' };
  }
  if (url.protocol === 'https:') return { kind: 'https' };
  if (url.protocol !== 'http:') return { kind: 'refused', why: `uses ${url.protocol.slice(0, -1)}, not https` };
  if (LOOPBACK_HOSTS.has(url.hostname)) return { kind: 'loopback-http' };
  return {
    kind: 'refused',
    why: `is plain http to ${url.hostname}, which is not a loopback address: credentials and messages would cross the network unencrypted`,
  };
}

/** The providers of a bundle whose endpoint is refused: `provider "x": options.apiUrl "…" <why>`. */
export function refusedEndpoints(providers: Bundle['providers']): string[] {
  const refused: string[] = [];
  for (const provider of Object.values(providers)) {
    const apiUrl = provider.options.apiUrl;
    if (typeof apiUrl !== 'string') continue;
    const verdict = judgeEndpoint(apiUrl);
    if (verdict.kind === 'refused') refused.push(`provider "${provider.id}": options.apiUrl "${apiUrl}" ${verdict.why}`);
  }
  return refused;
}
