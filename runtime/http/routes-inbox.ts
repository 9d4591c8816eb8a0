/** The end-user inbox API, its live stream and the embeddable widget (to be built). */
import type { Hono } from 'hono';
import type { AppDeps } from './deps.ts';

export function inboxRoutes(_app: Hono, _deps: AppDeps): void {}
