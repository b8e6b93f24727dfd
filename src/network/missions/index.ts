/** Missions → tasks → credited exposure (issue 7). */
export {
  MISSION_MACHINE,
  TASK_MACHINE,
  HELD_TASK_STATES,
  OPEN_TASK_STATES,
  OPEN_MISSION_STATES,
  canTransition,
  transition,
  type StateMachine,
} from './states.js';
export { resolveTargetName, knownTargetNames, type NamedTarget } from './targets.js';
export { validateMission, PRIORITY_MIN, PRIORITY_MAX, type MissionInput, type MissionSpec, type TargetConstraints } from './validate.js';
export {
  splitIntoTasks,
  subExposureCount,
  taskDurationS,
  MAX_TASK_EXPOSURE_S,
  MAX_TASKS_PER_MISSION,
  type SplitSpec,
  type TaskSlice,
} from './split.js';
export { missionInfo, taskInfo, taskFrameCount, type MissionInfo, type TaskInfo } from './view.js';
export {
  createMission,
  listMissions,
  getMission,
  missionProgress,
  cancelMission,
  type CreateMissionOptions,
  type CreatedMission,
  type ListMissionsFilter,
  type MissionProgress,
  type NodeContribution,
  type PartialTask,
} from './missions.js';
export {
  creditFrame,
  endTask,
  startTask,
  type FrameCreditInput,
  type FrameFields,
  type CreditOptions,
  type CreditResult,
  type EndTaskOptions,
  type EndTaskResult,
} from './credit.js';
export { releaseNodeTasks, expireTaskLeases, startLeaseExpirer, type LeaseExpirer, type LeaseExpirerOptions } from './leases.js';
export { OBSERVE_COMMAND_KIND, ABORT_COMMAND_KIND, RUNNING_GRACE_S, EXPOSURE_EPSILON_S, inTransaction, type Db } from './store.js';
