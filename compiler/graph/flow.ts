/**
 * A workflow as a graph of nodes and edges, independent of any drawing format. Mermaid and SVG both render
 * this one structure, so the diagram in a pull request and the one from `herald graph --format svg` agree.
 */
import type { Step, Workflow } from '../bundle/schema.ts';
import { cancelOn, condition, STEP_VERB, stepDetails, trigger } from './describe.ts';

export type FlowNodeKind = Step['kind'] | 'trigger' | 'end';

export interface FlowNode {
  /** Unique in the flow: the step id, or `trigger` / `end` (which step ids cannot collide with: see `key`). */
  key: string;
  /** The step this node draws; absent for the trigger and the end. */
  stepId?: string;
  kind: FlowNodeKind;
  /** First line is the title (`send welcome`); the rest are details. */
  lines: string[];
}

export interface FlowEdge {
  from: string;
  to: string;
  /** Branch arms are labelled with their condition (or `otherwise`). */
  label?: string;
}

export interface Flow {
  nodes: FlowNode[];
  edges: FlowEdge[];
}

/** An edge waiting for the node that comes next; `seq` is when it was opened. */
interface Pending {
  from: string;
  label?: string;
  seq: number;
}

const TRIGGER = 'trigger';
const END = 'end';
/** Step ids share a namespace with the two synthetic nodes only through this prefix. */
const stepKey = (id: string) => `step:${id}`;

/** `heading`: the trigger node's lines in place of the trigger's (a broadcast: who it reaches, its rate and window). */
export function workflowFlow(workflow: Workflow, heading?: readonly string[]): Flow {
  // What ends a run from outside belongs to the whole run: it is drawn with the trigger.
  const nodes: FlowNode[] = [{ key: TRIGGER, kind: 'trigger', lines: [...(heading ?? [trigger(workflow.trigger)]), ...workflow.cancelOn.map(cancelOn)] }];
  const edges: (FlowEdge & { seq: number })[] = [];
  let seq = 0;
  const open = (from: string, label?: string): Pending => ({ from, seq: seq++, ...(label === undefined ? {} : { label }) });

  const connect = (pending: Pending[], to: string) => {
    for (const p of pending) edges.push({ from: p.from, to, seq: p.seq, ...(p.label === undefined ? {} : { label: p.label }) });
  };

  // Returns the edges left open after the sequence: they lead to whatever follows it.
  const chain = (steps: Step[], pending: Pending[]): Pending[] => {
    let waiting = pending;
    for (const step of steps) {
      const key = stepKey(step.id);
      nodes.push({ key, stepId: step.id, kind: step.kind, lines: [`${STEP_VERB[step.kind]} ${step.id}`, ...stepDetails(step)] });
      connect(waiting, key);
      if (step.kind === 'branch') {
        waiting = [...step.arms.flatMap((arm) => chain(arm.steps, [open(key, condition(arm.when))])), ...chain(step.otherwise, [open(key, 'otherwise')])];
      } else if (step.kind === 'cancel') {
        // A cancel ends the run: nothing after it in this sequence is reached from here.
        waiting = [];
      } else {
        waiting = [open(key)];
      }
    }
    return waiting;
  };

  const last = chain(workflow.steps, [open(TRIGGER)]);
  if (last.length) {
    nodes.push({ key: END, kind: 'end', lines: ['end'] });
    connect(last, END);
  }
  // Edges in the order they leave their nodes (a branch's arms in order), not in the order they were
  // closed: an empty arm is closed by whatever follows the branch, after the arms that hold steps.
  return { nodes, edges: edges.sort((a, b) => a.seq - b.seq).map(({ seq: _seq, ...edge }) => edge) };
}
