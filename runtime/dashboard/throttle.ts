/**
 * The brake on guessing the dashboard's login secret, kept per client address and per account (the secret a
 * login targets: the dashboard has one shared password, so one account today).
 *
 * - Per address: after `perAddress` failures in `windowMs`, that address is refused without checking.
 * - Per account: after `perAccount` failures in the window from all addresses together, every address that
 *   has itself failed in the window is refused too. An address with a clean record is still checked, so a
 *   crowd of guessers slows everyone's retries but locks nobody with the right secret out; each of their
 *   addresses gets one guess a window while the brake is on, instead of `perAddress`.
 *
 * Per process, in memory, like the provider breakers: N processes allow N times the guesses.
 */

export interface ThrottleLimits {
  perAddress: number;
  perAccount: number;
  windowMs: number;
  /** Keys remembered at most; past it the key that failed longest ago is forgotten first. */
  maxKeys: number;
}

export const LOGIN_LIMITS: ThrottleLimits = { perAddress: 10, perAccount: 100, windowMs: 15 * 60 * 1000, maxKeys: 10_000 };

/** Failure times per key within the window, at most `limit` of them (the count saturates there anyway). */
function failureLog(limit: number, windowMs: number, maxKeys: number) {
  const failures = new Map<string, number[]>();
  const recent = (key: string, now: number) => (failures.get(key) ?? []).filter((at) => at > now - windowMs);
  return {
    count: (key: string, now: number) => recent(key, now).length,
    add(key: string, now: number) {
      const times = [...recent(key, now), now].slice(-limit);
      // Re-inserted, so the Map's order is by latest failure and the first key is the one to forget.
      failures.delete(key);
      failures.set(key, times);
      if (failures.size > maxKeys) failures.delete(failures.keys().next().value!);
    },
    clear: (key: string) => void failures.delete(key),
  };
}

export type LoginRefusal = 'address' | 'account';

export function loginThrottle(limits: ThrottleLimits = LOGIN_LIMITS) {
  const addresses = failureLog(limits.perAddress, limits.windowMs, limits.maxKeys);
  const accounts = failureLog(limits.perAccount, limits.windowMs, limits.maxKeys);
  return {
    /** Why this attempt is refused without checking the secret, or null when it may be checked. */
    refusal(account: string, address: string, now: number): LoginRefusal | null {
      const own = addresses.count(address, now);
      if (own >= limits.perAddress) return 'address';
      if (own > 0 && accounts.count(account, now) >= limits.perAccount) return 'account';
      return null;
    },
    fail(account: string, address: string, now: number) {
      addresses.add(address, now);
      accounts.add(account, now);
    },
    /** A success forgives the address; the account's count stays, as the failures were real. */
    succeed: (address: string) => addresses.clear(address),
  };
}
export type LoginThrottle = ReturnType<typeof loginThrottle>;
