/**
 * The mission and task state machines. The database stores states as plain text; which
 * changes are legal lives here, once, and every rule that changes a state goes through
 * `transition()` so an illegal change is a CONFLICT instead of silent corruption.
 *
 * Mission: PENDING (created, nothing leased yet) → ACTIVE (a task was leased or a frame
 * credited) → COMPLETE (delivered ≥ total); PENDING/ACTIVE → CANCELLED.
 *
 * Task: PENDING → LEASED (assigned to a node with a lease) → RUNNING (the node started:
 * command acknowledged or first frame) → DONE (its exposure delivered).
 * A task cut short with credit → PARTIAL, and its remainder becomes a new PENDING task
 * (parent_task_id → the PARTIAL one). A task given back without credit (lease expired,
 * node faulted before delivering, node ended it empty) → PENDING again.
 * Any open task → CANCELLED when its mission is cancelled or completes.
 */
import { NetworkError } from '../errors.js';
import type { MissionState, TaskState } from '../../platform/db/schema.js';

export interface StateMachine<S extends string> {
  /** What the states belong to, for error messages ('mission', 'task'). */
  readonly entity: string;
  /** For each state, the states it may move to. Terminal states map to []. */
  readonly transitions: Readonly<Record<S, readonly S[]>>;
}

export const MISSION_MACHINE: StateMachine<MissionState> = {
  entity: 'mission',
  transitions: {
    PENDING: ['ACTIVE', 'CANCELLED'],
    ACTIVE: ['COMPLETE', 'CANCELLED'],
    COMPLETE: [],
    CANCELLED: [],
  },
};

export const TASK_MACHINE: StateMachine<TaskState> = {
  entity: 'task',
  transitions: {
    PENDING: ['LEASED', 'CANCELLED'],
    LEASED: ['RUNNING', 'PENDING', 'CANCELLED'],
    RUNNING: ['DONE', 'PARTIAL', 'PENDING', 'CANCELLED'],
    DONE: [],
    PARTIAL: [],
    CANCELLED: [],
  },
};

/** Task states in which a node holds the task. */
export const HELD_TASK_STATES: readonly TaskState[] = ['LEASED', 'RUNNING'];
/** Task states that still need observing (and are cancelled with their mission). */
export const OPEN_TASK_STATES: readonly TaskState[] = ['PENDING', 'LEASED', 'RUNNING'];
/** Mission states in which frames earn credit and tasks may be scheduled. */
export const OPEN_MISSION_STATES: readonly MissionState[] = ['PENDING', 'ACTIVE'];

export function canTransition<S extends string>(machine: StateMachine<S>, from: S, to: S): boolean {
  const allowed = machine.transitions[from] as readonly S[] | undefined;
  return allowed !== undefined && allowed.includes(to);
}

/**
 * Returns `to` when `from → to` is allowed, else throws NetworkError CONFLICT naming the
 * entity and both states (`id` makes the message point at the row).
 */
export function transition<S extends string>(machine: StateMachine<S>, from: S, to: S, id?: string): S {
  if (!canTransition(machine, from, to)) {
    const which = id === undefined ? machine.entity : `${machine.entity} ${id}`;
    const allowed = (machine.transitions[from] as readonly S[] | undefined) ?? [];
    const hint = allowed.length === 0 ? `${from} is final` : `from ${from} it can go to ${allowed.join(', ')}`;
    throw new NetworkError('CONFLICT', `${which} cannot go from ${from} to ${to} (${hint})`);
  }
  return to;
}
