/** Heartbeats and the fault sweeper. */
export {
  recordHeartbeat,
  recentHeartbeats,
  pruneHeartbeats,
  validateHeartbeat,
  REPORTABLE_STATES,
  type HeartbeatInput,
  type HeartbeatResult,
} from './heartbeats.js';
export {
  sweepFaultedNodes,
  startSweeper,
  MISSED_HEARTBEATS_TO_FAULT,
  type ReleaseNodeTasks,
  type SweepOptions,
  type SweeperOptions,
  type Sweeper,
} from './sweeper.js';
