/** Commands for nodes: write, poll (and long-poll), acknowledge, report, cancel, take back. */
export {
  createCommand,
  pollCommands,
  ackCommand,
  reportCommand,
  cancelCommand,
  requeueNodeCommands,
  getCommand,
  commandInfo,
  MAX_LEASE_S,
  MAX_POLL_LIMIT,
  type CommandInfo,
  type NewCommandInput,
  type CreateCommandOptions,
  type PollOptions,
  type AckOptions,
  type CommandReport,
} from './commands.js';
export { createCommandNotifier, type CommandNotifier } from './notifier.js';
export { waitForCommands, MAX_LONG_POLL_MS, DEFAULT_POLL_INTERVAL_MS, type LongPollDeps, type LongPollOptions } from './long-poll.js';
