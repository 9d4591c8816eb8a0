/**
 * Every route declares, where it is registered, who may call it (its authentication and, for API keys, its
 * scope), the largest body it reads, and its rate limit. The router builds the API-key check (or the route's
 * own header check) and then the body limit into the route itself, so no route's security depends on the order in which things are registered,
 * and keeps the declarations as a table: the route-table test checks every route against it (and sends each
 * one a request without credentials), and docs/security.md is generated from it.
 */
import { type Context, type Handler, Hono, type MiddlewareHandler } from 'hono';
import { allows, bearerToken, findKey, type ApiKey, type ApiScope } from './api-keys.ts';
import { bodyLimit } from './body-limit.ts';
import type { AppDeps } from './deps.ts';
import { HttpError } from './errors.ts';

/**
 * How a caller proves who it is. Only `api-key` is checked by the router itself; the others are checked by
 * the route's own guard or handler (a signature covers the raw body, so it is checked where the body is read),
 * and the route-table test proves that each refuses a request without credentials.
 */
export type RouteAuth =
  | 'none'
  | 'api-key'
  | 'segment-write-key'
  | 'provider-signature'
  | 'signed-link'
  | 'inbox-token'
  | 'dashboard-session'
  | 'dashboard-login';

export interface RoutePolicy {
  auth: RouteAuth;
  /** The API key scope the route needs (auth `api-key`; also the bearer scope a `dashboard-session` route accepts). */
  scope?: ApiScope;
  /** The largest body read, in bytes (0: the route reads none). Larger declared bodies are refused before they are read. */
  body: number;
  /** The answer to a body over the limit, where the route's clients expect their own shape (Segment's 400). */
  tooLarge?: (c: Context) => Response | Promise<Response>;
  /** The route's rate limit, in words, for the threat model (`none` when only the body limit and auth bound it). */
  rate?: string;
  /** What the authentication is, in words, when the kind alone does not say (which signature, which link). */
  note?: string;
  /**
   * The route's own check from the headers alone (a write key, a session cookie), run before the body limit
   * so that an unauthenticated request is refused before any of its body is read, chunked or not.
   */
  guard?: MiddlewareHandler;
}

export interface DeclaredRoute extends Omit<RoutePolicy, 'guard' | 'tooLarge'> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
}

/** What a request authenticated with an API key carries, for handlers and the audit log. */
export interface KeyVariables {
  apiKey: ApiKey;
}

export interface RouterOptions {
  keys: readonly ApiKey[];
  /** Called once a key is accepted (after its scope is checked), for the audit log and metrics. */
  onKeyUsed?: (key: ApiKey, c: Context) => void;
}

/** A route's handlers: guards (middleware) and the handler, typed by the path's parameters as Hono types them. */
// biome-ignore lint/suspicious/noExplicitAny: Hono's own default for a handler's Env
type RouteHandler<P extends string> = MiddlewareHandler<any, P> | Handler<any, P>;

export interface Router {
  readonly table: readonly DeclaredRoute[];
  /** Middleware that changes answers, not access (CORS, headers, error shapes): a route's access is its policy. */
  use(path: string, ...handlers: MiddlewareHandler[]): void;
  get<P extends string>(path: P, policy: RoutePolicy, ...handlers: RouteHandler<NoInfer<P>>[]): void;
  post<P extends string>(path: P, policy: RoutePolicy, ...handlers: RouteHandler<NoInfer<P>>[]): void;
  put<P extends string>(path: P, policy: RoutePolicy, ...handlers: RouteHandler<NoInfer<P>>[]): void;
  delete<P extends string>(path: P, policy: RoutePolicy, ...handlers: RouteHandler<NoInfer<P>>[]): void;
}

/** The key a request authenticated with, when its route is an `api-key` route. */
export function keyOf(c: Context): ApiKey | undefined {
  return (c.get as (key: 'apiKey') => ApiKey | undefined)('apiKey');
}

/** `Authorization: Bearer <key>` of a key with `scope`: 401 without a known key, 403 with one of too small a scope. */
export function requireScope(options: RouterOptions, scope: ApiScope): MiddlewareHandler {
  return async (c, next) => {
    const token = bearerToken(c.req.header('authorization'));
    const key = token === null ? null : findKey(options.keys, token);
    if (!key)
      throw new HttpError(401, 'unauthorized', 'missing or wrong API key: send Authorization: Bearer <key> with a key from HERALD_API_KEY or HERALD_API_KEYS');
    if (!allows(key, scope)) {
      throw new HttpError(
        403,
        'forbidden',
        `the API key "${key.name}" has scope ${[...key.scopes].join('+')}; this route needs ${scope} (or admin): use a key with that scope`,
      );
    }
    (c.set as (key: 'apiKey', value: ApiKey) => void)('apiKey', key);
    options.onKeyUsed?.(key, c);
    await next();
  };
}

function limitBody(policy: RoutePolicy): MiddlewareHandler {
  return bodyLimit({
    maxSize: policy.body,
    onError:
      policy.tooLarge ??
      (() => {
        const limit =
          policy.body === 0
            ? 'this route takes no body'
            : `the body is larger than ${policy.body >= 1024 * 1024 ? `${policy.body / 1024 / 1024} MB` : `${policy.body / 1024} KB`}`;
        throw new HttpError(413, 'payload_too_large', limit);
      }),
  });
}

export function createRouter(app: Hono, options: RouterOptions): Router {
  const table: DeclaredRoute[] = [];
  const add = (method: DeclaredRoute['method'], path: string, policy: RoutePolicy, handlers: RouteHandler<string>[]) => {
    if (policy.auth === 'api-key' && !policy.scope) throw new Error(`${method} ${path}: an api-key route must declare its scope`);
    if (table.some((r) => r.method === method && r.path === path)) throw new Error(`${method} ${path} is declared twice`);
    const { guard, tooLarge: _tooLarge, ...declared } = policy;
    table.push({ method, path, ...declared });
    // Who is asking first (from the headers), then how much they send, then the route.
    const check: MiddlewareHandler | undefined = policy.auth === 'api-key' ? requireScope(options, policy.scope!) : guard;
    const chain: MiddlewareHandler[] = [...(check ? [check] : []), limitBody(policy), ...(handlers as MiddlewareHandler[])];
    app.on(method, path, chain[0]!, ...chain.slice(1));
  };
  return {
    table,
    use: (path, ...handlers) => void app.use(path, ...handlers),
    get: (path, policy, ...handlers) => add('GET', path, policy, handlers),
    post: (path, policy, ...handlers) => add('POST', path, policy, handlers),
    put: (path, policy, ...handlers) => add('PUT', path, policy, handlers),
    delete: (path, policy, ...handlers) => add('DELETE', path, policy, handlers),
  };
}

/** The API-key options every router of the app shares: one set of keys, and every use of one audited. */
export function routerOptions(deps: Pick<AppDeps, 'apiKeys' | 'auditLog'>): RouterOptions {
  return { keys: deps.apiKeys, onKeyUsed: (key, c) => deps.auditLog.keyUsed(key, c) };
}

/** A feature's routes: its own Hono app, with its own middleware, to mount at `/`, and what it declared. */
export interface Feature {
  readonly app: Hono;
  readonly routes: readonly DeclaredRoute[];
}

/**
 * A feature's sub-app, its routes declared through a router of its own (the same keys as the main app's).
 * It sets no onError or notFound: mounted, its routes answer through the main app's, like every other route.
 */
export function createFeature(deps: Pick<AppDeps, 'apiKeys' | 'auditLog'>, register: (routes: Router) => void): Feature {
  const app = new Hono();
  const routes = createRouter(app, routerOptions(deps));
  register({
    ...routes,
    // Mounting copies a feature's middleware into the main app by path: one on every path would be everyone's.
    use: (path, ...handlers) => {
      if (path === '*' || path === '/*') throw new Error(`a feature's middleware belongs on its own paths, not ${path}`);
      routes.use(path, ...handlers);
    },
  });
  return { app, routes: routes.table };
}
