/** The hosted preference center at signed links (to be built). */
import type { Hono } from 'hono';
import type { AppDeps } from './deps.ts';

export function preferenceCenterRoutes(_app: Hono, _deps: AppDeps): void {}
