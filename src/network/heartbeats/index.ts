/** Heartbeats, the heartbeat writer (group commit) and the fault sweeper. */
export {
  recordHeartbeat,
  recordHeartbeats,
  recentHeartbeats,
  pruneHeartbeats,
  validateHeartbeat,
  checkHeartbeat,
  REPORTABLE_STATES,
  DEFAULT_LOG_EVERY_S,
  type HeartbeatInput,
  type HeartbeatResult,
  type HeartbeatAck,
  type RecordHeartbeatOptions,
  type CheckedHeartbeat,
} from './heartbeats.js';
export { startHeartbeatWriter, type HeartbeatWriter, type HeartbeatWriterOptions } from './writer.js';
export {
  sweepFaultedNodes,
  startSweeper,
  MISSED_HEARTBEATS_TO_FAULT,
  type ReleaseNodeTasks,
  type SweepOptions,
  type SweeperOptions,
  type Sweeper,
} from './sweeper.js';
