/**
 * The pure workflow engine: what the pg-boss driver and the in-memory driver both call. Reach it through this
 * file only (test/architecture/boundaries.test.ts says so).
 */
export { type ActionHandlers, type ActionOf, type ActionType, carryOut } from './actions.ts';
export { DEFAULT_ADDRESS_GRACE_MS } from './address.ts';
export { advance, createRun, type CreateRunInput } from './advance.ts';
export { evaluateCondition, type ConditionExplain, type ConditionResult, type ConditionScope } from './conditions.ts';
export { capsFor, frequencySkip, type FrequencySkip } from './caps.ts';
export { CorruptStateError } from './cursor.ts';
export { engagementSeen } from './engagements.ts';
export { hasAddress, resolvePreference, type PreferenceRule } from './preferences.ts';
export { checkMatch, eventReachesRun, type MatchCheck } from './match.ts';
export { resolveRef, setPath } from './refs.ts';
export { isFinished, isStarted } from './turn.ts';
export { templateData } from './fetch.ts';
export { fetchEnvProblem } from '../../compiler/bundle/fetch-env.ts';
export { planSend, windowZone, type SendPlan, type SkipReason } from './send.ts';
export { type TenantSnapshot, withTenant } from './tenant.ts';
export type * from './types.ts';
