/**
 * Who sent a request, for throttles and audit entries. Behind load balancers the TCP peer is the nearest
 * proxy, and `X-Forwarded-For` carries the rest of the chain — but every entry left of those our own proxies
 * appended was written by the client and proves nothing. So the header is read only through a configured
 * count of trusted proxies (`HERALD_TRUSTED_PROXIES`), from the right, where our proxies append.
 */
import { isIP } from 'node:net';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import { z } from 'zod';

/** An address as a key: bounded in length, so a hostile header cannot make a throttle hold long strings. */
const MAX_ADDRESS_LENGTH = 64;
const UNKNOWN = 'unknown';

const trustedProxiesSchema = z.coerce
  .number({ error: 'HERALD_TRUSTED_PROXIES must be a whole number' })
  .int('HERALD_TRUSTED_PROXIES must be a whole number')
  .min(0, 'HERALD_TRUSTED_PROXIES cannot be negative')
  .max(10, 'HERALD_TRUSTED_PROXIES is the number of proxies in front of the runtime, at most 10');

/**
 * HERALD_TRUSTED_PROXIES: how many proxies (load balancers, ingress) stand between clients and the runtime.
 * Unset or empty → 0: the peer address is the client, and X-Forwarded-For is ignored.
 *
 * @example trustedProxiesFrom({ HERALD_TRUSTED_PROXIES: '1' }) // 1: one load balancer in front
 */
export function trustedProxiesFrom(env: NodeJS.ProcessEnv): number {
  const raw = env.HERALD_TRUSTED_PROXIES?.trim();
  if (!raw) return 0;
  const parsed = trustedProxiesSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `${parsed.error.issues[0]?.message ?? 'HERALD_TRUSTED_PROXIES is not valid'} (got "${raw.slice(0, 20)}"): set it to the count of proxies in front of the runtime, 0 when clients connect directly`,
    );
  }
  return parsed.data;
}

/** `::ffff:10.0.0.1` and `10.0.0.1` are one client; anything that is not an address is kept, but bounded. */
function normalise(address: string | undefined): string {
  const trimmed = address?.trim();
  if (!trimmed) return UNKNOWN;
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(trimmed)?.[1];
  if (v4 && isIP(v4) === 4) return v4;
  return trimmed.slice(0, MAX_ADDRESS_LENGTH).toLowerCase();
}

function peerAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    // No socket (a request made in process, e.g. `app.request`): nothing to tell clients apart by.
    return undefined;
  }
}

/**
 * The client's address: with `trustedProxies` = 0 the peer's; with N, the Nth address from the right of
 * X-Forwarded-For (the one the outermost trusted proxy appended). A header shorter than the chain means the
 * request did not come through every trusted proxy, so no entry of it can be trusted: the peer's address then.
 *
 * @example clientAddress(c, 1) // X-Forwarded-For: "spoofed, 203.0.113.7" → "203.0.113.7"
 */
export function clientAddress(c: Context, trustedProxies: number): string {
  if (trustedProxies > 0) {
    // Several X-Forwarded-For headers arrive joined by commas, in order: one list.
    const chain = (c.req.header('x-forwarded-for') ?? '').split(',').map((entry) => entry.trim());
    if (chain.length >= trustedProxies && chain[chain.length - trustedProxies]) return normalise(chain[chain.length - trustedProxies]);
  }
  return normalise(peerAddress(c));
}
