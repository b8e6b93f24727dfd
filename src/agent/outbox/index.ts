/** The durable outbox and its uploader. */
export { backoffDelayMs, resolveBackoff, type BackoffPolicy } from './backoff.js';
export { syncDir, writeDurably } from './fs-durable.js';
export { inspectOutbox, Outbox, type OutboxDepth, type OutboxEntry, type OutboxError, type OutboxItem, type OutboxKind, type OutboxOptions } from './outbox.js';
export { runUploader, type Delivery, type SendContext, type SendFn, type SendResult, type UploadEvent, type UploaderOptions } from './uploader.js';
