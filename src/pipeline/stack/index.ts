export { stackStage, runStack, stackSourceKey, type StackOptions, type StackSummary } from './stage.js';
export { createWorkspace, stagedFrames, type StagedFrame, type Workspace } from './workspace.js';
