/**
 * The outbound URL guard: which URLs Herald may call on a team's behalf (webhook channel, fetch step,
 * lifecycle webhooks). A URL written in a bundle or registered through the API must not become a way into the
 * network Herald runs in (the cloud's metadata service at 169.254.169.254, a database in the VPC): its host
 * is resolved here, every address it resolves to is checked, and the connection is then made to exactly those
 * addresses (see fetch.ts), so a DNS answer cannot change between the check and the connect.
 *
 * Rules: https only (http to loopback in development); no address in a special range (link-local, private,
 * unique-local, loopback outside development, CGNAT, unspecified, multicast, broadcast, reserved…) unless
 * `HERALD_OUTBOUND_ALLOW` lists it (CIDRs, and host names which are then allowed whatever they resolve to).
 */
import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { environmentMode, type RuntimeMode } from '../config.ts';

/** Resolves a host name to every address it has (tests give their own). */
export type Resolver = (hostname: string) => Promise<string[]>;

export interface OutboundPolicy {
  /** http, and loopback addresses, are allowed (the runtime runs in development mode: see outboundPolicy). */
  development: boolean;
  /** CIDRs lifted out of the address rule (`HERALD_OUTBOUND_ALLOW`). */
  allowCidrs: [ipaddr.IPv4 | ipaddr.IPv6, number][];
  /** Host names lifted out of the address rule: exact (`crm.internal`) or a suffix (`*.corp.internal`). */
  allowHosts: string[];
  resolve: Resolver;
}

/** A URL Herald will not call: permanent (another attempt would be refused the same way). */
export class OutboundRefusedError extends Error {
  readonly code = 'HERALD_OUTBOUND_REFUSED';
  override readonly name = 'OutboundRefusedError';
  /** Which rule refused it: `scheme`, `url`, `address`, `dns`, `config`. */
  readonly rule: string;
  constructor(rule: string, message: string) {
    super(message);
    this.rule = rule;
  }
}

const ALLOW_HINT = 'if this endpoint is meant to be reachable, add its host or CIDR to HERALD_OUTBOUND_ALLOW (comma-separated)';

/** Human names of ipaddr.js's ranges, as a refusal says them. */
const RANGE_NAMES: Record<string, string> = {
  unspecified: 'unspecified (0.0.0.0/8, ::)',
  broadcast: 'broadcast (255.255.255.255)',
  multicast: 'multicast (224.0.0.0/4, ff00::/8)',
  linkLocal: 'link-local (169.254.0.0/16, fe80::/10)',
  loopback: 'loopback (127.0.0.0/8, ::1)',
  carrierGradeNat: 'carrier-grade NAT (100.64.0.0/10)',
  private: 'private (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)',
  uniqueLocal: 'unique-local (fc00::/7)',
};

/** Parses `HERALD_OUTBOUND_ALLOW`; throws OutboundRefusedError (rule `config`) naming a bad entry. */
export function parseOutboundAllow(value: string | undefined): Pick<OutboundPolicy, 'allowCidrs' | 'allowHosts'> {
  const allowCidrs: OutboundPolicy['allowCidrs'] = [];
  const allowHosts: string[] = [];
  for (const raw of (value ?? '').split(',')) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry.includes('/')) {
      try {
        allowCidrs.push(ipaddr.parseCIDR(entry));
      } catch {
        throw new OutboundRefusedError('config', `HERALD_OUTBOUND_ALLOW: "${raw.trim()}" is not a CIDR (write 10.0.0.0/8, fd00::/8, or a host name)`);
      }
    } else if (ipaddr.isValid(entry)) {
      const address = ipaddr.parse(entry);
      allowCidrs.push([address, address.kind() === 'ipv4' ? 32 : 128]);
    } else if (/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/.test(entry)) {
      allowHosts.push(entry.replace(/\.$/, ''));
    } else {
      throw new OutboundRefusedError('config', `HERALD_OUTBOUND_ALLOW: "${raw.trim()}" is neither a CIDR nor a host name`);
    }
  }
  return { allowCidrs, allowHosts };
}

const systemResolver: Resolver = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

let cached: { key: string; policy: OutboundPolicy } | undefined;

/**
 * The policy from the environment (kept while the environment says the same). http and loopback are allowed only
 * when the runtime runs in development mode (`mode`: the runtime's config holds it, and also knows `herald dev`;
 * else as runtime/config.ts decides it from the environment alone), or NODE_ENV=development
 * says so explicitly: an unset NODE_ENV is not enough, since a runtime on a real database runs in production mode.
 */
export function outboundPolicy(env: NodeJS.ProcessEnv = process.env, mode?: RuntimeMode): OutboundPolicy {
  const development = env.NODE_ENV === 'development' || (mode ?? environmentMode(env)) === 'development';
  const key = `${development}\0${env.HERALD_OUTBOUND_ALLOW ?? ''}`;
  if (cached?.key === key) return cached.policy;
  const policy = { development, ...parseOutboundAllow(env.HERALD_OUTBOUND_ALLOW), resolve: systemResolver };
  cached = { key, policy };
  return policy;
}

function hostAllowed(hostname: string, policy: OutboundPolicy): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return policy.allowHosts.some((entry) => (entry.startsWith('*.') ? host.endsWith(entry.slice(1)) : host === entry));
}

/** The range that keeps Herald from `address`, or null when it may be called. */
export function refusedRange(address: string, policy: OutboundPolicy): string | null {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address); // an IPv4-mapped IPv6 (::ffff:10.0.0.1) is checked as the IPv4 it is
  } catch {
    return `unparseable address "${address}"`;
  }
  if (policy.allowCidrs.some(([net, bits]) => net.kind() === parsed.kind() && parsed.match(net, bits))) return null;
  const range = parsed.range();
  if (range === 'loopback' && policy.development) return null;
  if (Object.hasOwn(RANGE_NAMES, range)) return RANGE_NAMES[range]!;
  const embedding = parsed.kind() === 'ipv6' ? IPV4_EMBEDDING.find(([net, bits]) => parsed.match(net, bits)) : undefined;
  if (embedding) return embedding[2];
  if (range === 'unicast') return null;
  return `special-purpose (${range})`;
}

/**
 * IPv6 ranges that carry an IPv4 address, refused whole: which IPv4 they reach depends on a translator in the
 * network Herald runs in (a NAT64 gateway turns 64:ff9b::a9fe:a9fe into the metadata address), and an
 * IPv4-compatible address (::a9fe:a9fe) is read as its IPv4 by some stacks. An IPv6-only network that reaches
 * the internet through NAT64 lists the prefix in HERALD_OUTBOUND_ALLOW.
 */
const IPV4_EMBEDDING: [ipaddr.IPv6, number, string][] = [
  [ipaddr.IPv6.parse('::'), 96, 'IPv4-compatible IPv6 (::/96)'],
  [ipaddr.IPv6.parse('64:ff9b::'), 96, 'NAT64 (64:ff9b::/96)'],
  [ipaddr.IPv6.parse('64:ff9b:1::'), 48, 'local-use NAT64 (64:ff9b:1::/48)'],
];

function isLoopback(address: string): boolean {
  try {
    return ipaddr.process(address).range() === 'loopback';
  } catch {
    return false;
  }
}

/**
 * Checks a URL and resolves its host: the addresses returned are the only ones the request may connect to.
 * Throws OutboundRefusedError naming the rule.
 */
export async function checkOutboundUrl(input: string | URL, policy: OutboundPolicy = outboundPolicy()): Promise<{ url: URL; addresses: string[] }> {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new OutboundRefusedError('url', `"${String(input)}" is not an absolute URL`);
  }
  if (url.username || url.password) throw new OutboundRefusedError('url', `${url.origin}: credentials in the URL are not sent (use a header)`);
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const literal = ipaddr.isValid(hostname);
  const plain = url.protocol === 'http:';
  const httpRefused = () =>
    new OutboundRefusedError(
      'scheme',
      `${url.protocol}//${url.host}: outbound URLs must be https (http only to loopback, and only when the runtime runs in development mode)`,
    );
  if (url.protocol !== 'https:' && !(plain && policy.development)) throw httpRefused();
  const allowedByName = !literal && hostAllowed(hostname, policy);
  let addresses: string[];
  if (literal) addresses = [hostname];
  else {
    try {
      addresses = await policy.resolve(hostname);
    } catch (error) {
      const code = (error as { code?: string }).code;
      // An unknown host may exist a minute later (DNS propagation): that is the caller's retry to decide.
      throw Object.assign(new Error(`${hostname}: DNS lookup failed${code ? ` (${code})` : ''}`), { code: code ?? 'ENOTFOUND', cause: error });
    }
    if (addresses.length === 0) throw Object.assign(new Error(`${hostname}: DNS lookup found no address`), { code: 'ENOTFOUND' });
  }
  // http is for a developer's own machine: every address must be loopback, whatever the name says.
  if (plain && addresses.some((a) => !isLoopback(a))) throw httpRefused();
  if (!allowedByName) {
    for (const address of addresses) {
      const refused = refusedRange(address, policy);
      if (refused)
        throw new OutboundRefusedError(
          'address',
          `${url.host} resolves to ${address}, in a ${refused} range that Herald does not call (no requests into its own network); ${ALLOW_HINT}`,
        );
    }
  }
  return { url, addresses };
}
