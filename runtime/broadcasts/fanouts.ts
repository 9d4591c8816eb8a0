/**
 * The fan-out core as broadcasts and scheduled workflows use it: runtime/recipients with the audience reader
 * wired in (runtime/audiences), built once per runtime. The page worker (server.ts) and every door that creates
 * a fan-out must read audiences the same way, so they all take it from here.
 */
import { audienceReader } from '../audiences/index.ts';
import type { DriverDeps } from '../execution/deps.ts';
import type { FanoutDeps } from '../recipients/index.ts';

export function fanoutDeps(driver: DriverDeps): FanoutDeps {
  return { driver, audiences: audienceReader };
}
