/**
 * The fan-out core: one run per recipient of a list, a list pattern or an audience, started page by page by
 * durable jobs. The one door to runtime/recipients/ (see runtime/lists/README.md).
 */
export { cancelRunsChunk, type CancelRunsJob } from './cancel-runs.ts';
export { cancelFanout, createFanout, fanoutProgress, progressOf, type FanoutDeps, type FanoutProgress, type NewFanout } from './fanouts.ts';
export { PAGE_SIZE, pacing, runPage } from './page.ts';
export { FANOUT_QUEUE, type PageJob } from './queue.ts';
export {
  checkSource,
  recipientCount,
  recipientPage,
  recipientRequestSchema,
  recipientSourceSchema,
  type AudienceReader,
  type RecipientSource,
} from './source.ts';
export { workFanouts } from './worker.ts';
