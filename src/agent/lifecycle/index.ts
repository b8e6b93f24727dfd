/** The node agent's lifecycle: start/stop, heartbeats, commands, observations, uploads. */
export { startAgent, type Agent, type AgentEvent, type StartAgentOptions } from './agent.js';
export { CommandLog, type CommandRecord, type CommandReport, type RejectedFrame } from './command-log.js';
export { readStoredCredentials, resolveCredentials, storeCredentials, type NodeCredentials, type ResolvedCredentials } from './credentials.js';
export { loadMasters, mastersFor, openDevices, siteOf, type MasterSet, type OpenedDevices } from './devices.js';
export { frameHasWcs, measurementBody, parseObservePayload, type ObserveTask } from './observe-payload.js';
export { clockFromConfig, openAgent, type OpenAgentDeps } from './open.js';
