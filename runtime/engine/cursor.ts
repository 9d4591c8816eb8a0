/**
 * The cursor: a stack of frames, one per nested step list. The root list is `root`; a branch arm's list is
 * `<branchId>#<armIndex>` or `<branchId>#otherwise`, and its parent frame points at the branch step.
 * Functions here either read the cursor or mutate a cursor the engine already owns (a clone).
 */
import type { Step, Workflow } from '../../compiler/bundle/schema.ts';
import type { Cursor } from './types.ts';

export const ROOT = 'root';

export class CorruptStateError extends Error {
  override name = 'CorruptStateError';
}

export function armList(branchId: string, arm: number | 'otherwise'): string {
  return `${branchId}#${arm}`;
}

/** The step lists named by each frame, checked against the workflow; throws on a cursor it does not fit. */
function lists(workflow: Workflow, cursor: Cursor): Step[][] {
  const out: Step[][] = [];
  cursor.frames.forEach((frame, depth) => {
    if (depth === 0) {
      if (frame.list !== ROOT) throw new CorruptStateError(`cursor starts at "${frame.list}", not "${ROOT}"`);
      out.push(workflow.steps);
      return;
    }
    const parent = cursor.frames[depth - 1];
    const branch = parent ? out[depth - 1]?.[parent.index] : undefined;
    if (branch?.kind !== 'branch') throw new CorruptStateError(`cursor frame "${frame.list}" is not inside a branch`);
    const arm = frame.list.slice(branch.id.length + 1);
    const steps = frame.list.startsWith(`${branch.id}#`) ? (arm === 'otherwise' ? branch.otherwise : branch.arms[Number(arm)]?.steps) : undefined;
    if (!steps) throw new CorruptStateError(`cursor frame "${frame.list}" names no arm of branch "${branch.id}"`);
    out.push(steps);
  });
  if (out.length === 0) throw new CorruptStateError('cursor has no frames');
  return out;
}

/** The step under the cursor, or null when the innermost list is exhausted. */
export function currentStep(workflow: Workflow, cursor: Cursor): Step | null {
  const all = lists(workflow, cursor);
  const frame = cursor.frames[cursor.frames.length - 1];
  const list = all[all.length - 1];
  if (!frame || !list || frame.index < 0) throw new CorruptStateError('cursor frame is invalid');
  return list[frame.index] ?? null;
}

/** Move past the current step. */
export function stepOver(cursor: Cursor): void {
  const frame = cursor.frames[cursor.frames.length - 1];
  if (frame) frame.index += 1;
}

/** Enter a branch arm: its first step becomes current. */
export function enterArm(cursor: Cursor, branchId: string, arm: number | 'otherwise'): void {
  cursor.frames.push({ list: armList(branchId, arm), index: 0 });
}

/** Leave an exhausted arm and continue after its branch; false when the root list itself is exhausted. */
export function leaveList(cursor: Cursor): boolean {
  if (cursor.frames.length <= 1) return false;
  cursor.frames.pop();
  stepOver(cursor);
  return true;
}
