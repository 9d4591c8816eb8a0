/** `GET /v1/providers`: which adapter serves each provider of the live bundle, and its health in this process. */
import type { Router } from './route.ts';
import type { AppDeps } from './deps.ts';

export function providerRoutes(routes: Router, deps: AppDeps) {
  routes.get('/v1/providers', { auth: 'api-key', scope: 'read', body: 0 }, (c) => {
    const now = Date.now();
    const providers = Object.values(deps.driver.bundles.live?.providers ?? {});
    const health = deps.driver.providers.health.report(
      now,
      providers.map((p) => p.id),
    );
    const lines = deps.driver.providers.describe(providers);
    return c.json({
      providers: providers.map((p, i) => ({
        id: p.id,
        channel: p.channel,
        kind: p.kind,
        adapter: lines[i]!.slice(lines[i]!.indexOf(': ') + 2),
        health: health[i],
      })),
    });
  });
}
