/** Signing in to the dashboard from tests, and reading its pages as a browser without JavaScript would. */
import { API_KEY } from '../runtime/harness.ts';

export interface DashboardResponse {
  status: number;
  location: string | null;
  cookies: string[];
  text: string;
  headers: Headers;
}

/** Any fetch-shaped function: a running runtime's URL, or `app.request`. */
export type Fetcher = (path: string, init?: RequestInit) => Promise<Response>;

export function overHttp(base: string): Fetcher {
  return (path, init) => fetch(`${base}${path}`, init);
}

export async function call(fetcher: Fetcher, path: string, init: RequestInit = {}): Promise<DashboardResponse> {
  const response = await fetcher(path, { redirect: 'manual', ...init });
  return {
    status: response.status,
    location: response.headers.get('location'),
    cookies: response.headers.getSetCookie(),
    text: await response.text(),
    headers: response.headers,
  };
}

/** A form post from the dashboard's own origin (the browser sends Origin on POST). */
export function postForm(fetcher: Fetcher, origin: string, path: string, form: Record<string, string>, cookie?: string, extra: Record<string, string> = {}) {
  return call(fetcher, path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin, ...(cookie ? { cookie } : {}), ...extra },
    body: new URLSearchParams(form).toString(),
  });
}

/** `name=value` of the session cookie set by a response, for the next request's Cookie header. */
export function sessionCookie(r: DashboardResponse): string {
  const set = r.cookies.find((c) => c.startsWith('herald_dashboard='));
  if (!set) throw new Error(`no session cookie in ${JSON.stringify(r.cookies)} (status ${r.status})`);
  return set.split(';')[0]!;
}

export async function login(fetcher: Fetcher, origin: string, secret = API_KEY): Promise<string> {
  const r = await postForm(fetcher, origin, '/dashboard/login', { secret });
  if (r.status !== 303) throw new Error(`login failed: ${r.status} ${r.text.slice(0, 200)}`);
  return sessionCookie(r);
}

export function get(fetcher: Fetcher, path: string, cookie?: string, headers: Record<string, string> = {}) {
  return call(fetcher, path, { headers: { ...(cookie ? { cookie } : {}), ...headers } });
}
