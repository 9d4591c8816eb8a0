/** Segment's HTTP Tracking API and its webhook destination (to be built). */
import type { Hono } from 'hono';
import type { AppDeps } from './deps.ts';

export function segmentRoutes(_app: Hono, _deps: AppDeps): void {}
