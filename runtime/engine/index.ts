/**
 * The pure workflow engine: what the pg-boss driver and the virtual-time simulator both call.
 */
export { advance, createRun, type CreateRunInput } from './advance.ts';
export { evaluateCondition, type ConditionExplain, type ConditionResult, type ConditionScope } from './conditions.ts';
export { CorruptStateError } from './cursor.ts';
export { engagementSeen } from './engagements.ts';
export { hasAddress, resolvePreference, type PreferenceRule } from './preferences.ts';
export { resolveRef } from './refs.ts';
export { isStarted } from './turn.ts';
export { planSend, windowZone, type SendPlan, type SkipReason } from './send.ts';
export { simulate, type FactInput, type ScriptEntry, type SimMessage, type SimulateInput, type SimulateResult, type TimelineEntry } from './simulate.ts';
export type * from './types.ts';
