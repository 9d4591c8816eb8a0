/**
 * The in-memory driver (virtual time): what `herald/testing`, `herald replay` and the engine's own tests run
 * workflows on. See README.md.
 */
export type { DeliveredMessage, DeliveryOptions, RenderOutcome, RenderRequest } from './deliver.ts';
export { MemoryDriver, type MemoryDriverOptions, type MemoryObserver, type MemoryRun } from './driver.ts';
export { type FactInput, type ScriptEntry, type SimMessage, type SimulateInput, type SimulateResult, simulate, type TimelineEntry } from './simulate.ts';
