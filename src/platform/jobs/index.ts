export { startJobs, type Jobs, type JobsOptions, type Job, type SendOptions, type WorkOptions } from './boss.js';
export { QUEUES, isQueueName, type QueueName } from './queues.js';
