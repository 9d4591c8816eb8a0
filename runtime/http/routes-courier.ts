/** The Courier-compatible API (to be built). */
import type { Hono } from 'hono';
import type { AppDeps } from './deps.ts';

export function courierRoutes(_app: Hono, _deps: AppDeps): void {}
