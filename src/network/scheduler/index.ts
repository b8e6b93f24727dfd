/** The scheduler: visibility, candidate tasks for a node, ranking, assignment, tonight's plan. */
export {
  TWILIGHT_SUN_ALTITUDE_DEG,
  SUNSET_SUN_ALTITUDE_DEG,
  DEFAULT_STEP_S,
  targetPosition,
  sunPosition,
  moonPosition,
  moonSeparationDeg,
  airmass,
  altitudeForAirmass,
  horizonProfileAltitudeDeg,
  altitudeLimitDeg,
  checkVisibility,
  sunCrossing,
  nightWindow,
  type SiteLocation,
  type SkyTarget,
  type HorizontalPosition,
  type Twilight,
  type VisibilityLimits,
  type VisibilityReason,
  type VisibilityVerdict,
  type NightWindow,
  type PositionOptions,
} from './visibility.js';
export { DEFAULT_TWILIGHT, checkNodeFit, evaluateTask, type Evaluation, type RejectionReason, type NodeRow, type SiteRow } from './evaluate.js';
export { URGENT_WITHIN_S, compareCandidates, rankCandidates, deadlineOf, slackS, type Rankable } from './rank.js';
export {
  candidateTasks,
  evaluateWork,
  loadPendingWork,
  type Candidate,
  type CandidateOptions,
  type CandidateReport,
  type PendingWork,
  type Rejection,
} from './candidates.js';
export {
  assignWork,
  assignWorkExplained,
  observePayload,
  MIN_LEASE_S,
  MAX_LEASE_S,
  type AssignOptions,
  type Assignment,
  type AssignResult,
  type ObservePayload,
} from './assign.js';
export { planNight, type NightPlan, type PlanEntry, type PlanOptions } from './plan.js';
