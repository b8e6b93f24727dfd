/**
 * Job queues, one per compute class (ARCHITECTURE.md): a worker serves the queues it is
 * told to serve, so slow work never blocks fast work.
 */
export const QUEUES = [
  'ingest', // seconds: register an uploaded frame, checks, metadata
  'image', // tens of seconds: plate solve, calibrate
  'stack', // minutes: reproject + co-add
  'science', // periods, transit times
  'inference', // long, checkpointed: TTV sampling
] as const;

export type QueueName = (typeof QUEUES)[number];

export function isQueueName(name: string): name is QueueName {
  return (QUEUES as readonly string[]).includes(name);
}
