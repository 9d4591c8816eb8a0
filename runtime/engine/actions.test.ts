/**
 * The one interface of actions, held by the type checker (`npm test` runs tsc): a driver that leaves an
 * action out does not compile, and `carryOut` hands each action to its own handler.
 */
import { describe, expect, it } from 'vitest';
import { type ActionHandlers, type Action, carryOut, type Fact } from './index.ts';

const answered = (type: string): Fact => ({ type: 'cancel', now: 0, reason: type });

const complete: ActionHandlers<string, Fact | null> = {
  schedule: (_context, action) => answered(action.token),
  send: (_context, action) => answered(action.template),
  throttle: (_context, action) => answered(action.key),
  digestJoin: (_context, action) => answered(action.key),
  digestCollect: (_context, action) => answered(action.key),
  updateProfile: (_context, action) => answered(action.stepId),
  fetch: (_context, action) => answered(action.url),
  finished: (context) => answered(context),
};

describe('ActionHandlers', () => {
  it('is complete only with one handler per action (a missing one is a type error)', () => {
    // @ts-expect-error `finished` is missing: a driver that forgets an action does not compile.
    const incomplete: ActionHandlers<string, Fact | null> = { ...complete, finished: undefined };
    expect(incomplete.schedule).toBeTypeOf('function');
  });

  it('hands each action to its own handler, with the context and time', () => {
    const actions: Action[] = [
      { type: 'schedule', at: 1, token: 'a@1', stepId: 'a' },
      { type: 'throttle', stepId: 't', key: 'k', limit: 1, windowMs: 1 },
      { type: 'finished', status: 'completed' },
    ];
    expect(actions.map((action) => carryOut(complete, 'ctx', action, 5))).toEqual([answered('a@1'), answered('k'), answered('ctx')]);
  });
});
