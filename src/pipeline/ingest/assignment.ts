/**
 * May this node send frames for this mission (and task)? Yes when the mission has a task
 * the node holds or held (tasks.node_id), or a command for one of the mission's tasks was
 * addressed to the node — the durable trace of an assignment whose lease has since moved
 * on (a frame sent hours later over a slow link still counts: delivered exposure is never
 * thrown away).
 */
import type { Kysely, Transaction } from 'kysely';
import type { Schema } from '../../platform/db/schema.js';
import { PipelineError } from '../errors.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function requireUuid(value: unknown, field: string): string {
  if (typeof value !== 'string' || !UUID_RE.test(value)) {
    throw new PipelineError('BAD_REQUEST', `${field}: must be a UUID, got ${JSON.stringify(value)}`);
  }
  return value.toLowerCase();
}

/** Throws NOT_FOUND (no mission), BAD_REQUEST (task of another mission) or NOT_ASSIGNED. */
export async function checkAssignment(
  db: Kysely<Schema> | Transaction<Schema>,
  nodeId: string,
  missionId: string,
  taskId?: string | null,
): Promise<void> {
  const mission = await db.selectFrom('missions').select('id').where('id', '=', missionId).executeTakeFirst();
  if (!mission) throw new PipelineError('NOT_FOUND', `missionId: no mission '${missionId}'`);
  if (taskId !== undefined && taskId !== null) {
    const task = await db.selectFrom('tasks').select(['mission_id', 'node_id']).where('id', '=', taskId).executeTakeFirst();
    if (!task) throw new PipelineError('NOT_FOUND', `taskId: no task '${taskId}'`);
    if (task.mission_id !== missionId) throw new PipelineError('BAD_REQUEST', `taskId: task ${taskId} belongs to mission ${task.mission_id}, not ${missionId}`);
    if (task.node_id === nodeId) return;
    const cmd = await db.selectFrom('commands').select('id').where('task_id', '=', taskId).where('node_id', '=', nodeId).executeTakeFirst();
    if (cmd) return;
    throw new PipelineError('NOT_ASSIGNED', `task ${taskId} is not assigned to node ${nodeId}`);
  }
  const held = await db
    .selectFrom('tasks')
    .select('id')
    .where('mission_id', '=', missionId)
    .where('node_id', '=', nodeId)
    .executeTakeFirst();
  if (held) return;
  const commanded = await db
    .selectFrom('commands')
    .innerJoin('tasks', 'tasks.id', 'commands.task_id')
    .select('commands.id')
    .where('commands.node_id', '=', nodeId)
    .where('tasks.mission_id', '=', missionId)
    .executeTakeFirst();
  if (commanded) return;
  throw new PipelineError('NOT_ASSIGNED', `mission ${missionId} is not assigned to node ${nodeId}`);
}
