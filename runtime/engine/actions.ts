/**
 * The one interface of the engine's actions. A driver carries actions out by giving one handler per action
 * type; the mapped type makes a new action a type error in every driver until each handles it (the pg-boss
 * driver in runtime/execution, the in-memory driver in runtime/memory-driver).
 */
import type { Action, Fact } from './types.ts';

export type ActionType = Action['type'];
export type ActionOf<K extends ActionType> = Extract<Action, { type: K }>;

/**
 * How a driver carries out each action, with its own `context` (a run in a transaction, a run in memory).
 * A handler returns the fact that answers the action (`sendResult`, `throttleResult`, …) or null.
 */
export type ActionHandlers<Context, Reply extends Fact | null | Promise<Fact | null>> = {
  readonly [K in ActionType]: (context: Context, action: ActionOf<K>, now: number) => Reply;
};

/** Hands `action` to its handler. */
export function carryOut<Context, Reply extends Fact | null | Promise<Fact | null>>(
  handlers: ActionHandlers<Context, Reply>,
  context: Context,
  action: Action,
  now: number,
): Reply {
  return (handlers[action.type] as (context: Context, action: Action, now: number) => Reply)(context, action, now);
}
