/** The dashboard (to be built). */
import type { Hono } from 'hono';
import type { AppDeps } from './deps.ts';

export function dashboardRoutes(_app: Hono, _deps: AppDeps): void {}
