/**
 * Typed errors of uploads and pipeline stages. Each code maps to one HTTP status, so the
 * upload routes, the job API and the worker report a problem the same way; the message says
 * what is wrong and where (which header keyword, which byte offset, which stage).
 */
export type PipelineErrorCode =
  | 'BAD_REQUEST' // malformed request: bad field, bad header value (400)
  | 'BAD_FILE_NAME' // not ObsReq-{missionId}_TelID-{nodeId}_{YYYYMMDDTHHMMSS}.fits (400)
  | 'UNAUTHORIZED' // no node token (401)
  | 'FORBIDDEN' // a node acting for another node (403)
  | 'NOT_ASSIGNED' // the mission (or task) is not assigned to the uploading node (403)
  | 'NOT_FOUND' // no such upload, mission, job (404)
  | 'OFFSET_MISMATCH' // Upload-Offset differs from the bytes received so far (409)
  | 'CONFLICT' // the frame was already uploaded with other bytes (409)
  | 'TOO_LARGE' // over the upload or chunk size limit, or past the declared size (413)
  | 'UNSUPPORTED_MEDIA' // chunk not sent as application/offset+octet-stream (415)
  | 'CHECKSUM_MISMATCH' // the bytes received do not have the declared SHA-256 (422)
  | 'NOT_FITS' // not a FITS file, or no 2-D image in it (422)
  | 'CORRUPT_TILE' // a tile of a compressed image does not decode (422)
  | 'BAD_FITS' // FITS structure or keywords unusable (422)
  | 'HEADER_MISMATCH' // the header contradicts the file name (DATE-OBS) (422)
  | 'UNAVAILABLE' // this server runs without the object store or job queue that the request needs (503)
  | 'NO_HANDLER' // a stage has no handler in this worker
  | 'STAGE_FAILED'; // a stage could not complete (500 when surfaced)

export const PIPELINE_ERROR_STATUS: Record<PipelineErrorCode, number> = {
  BAD_REQUEST: 400,
  BAD_FILE_NAME: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_ASSIGNED: 403,
  NOT_FOUND: 404,
  OFFSET_MISMATCH: 409,
  CONFLICT: 409,
  TOO_LARGE: 413,
  UNSUPPORTED_MEDIA: 415,
  CHECKSUM_MISMATCH: 422,
  NOT_FITS: 422,
  CORRUPT_TILE: 422,
  BAD_FITS: 422,
  HEADER_MISMATCH: 422,
  UNAVAILABLE: 503,
  NO_HANDLER: 500,
  STAGE_FAILED: 500,
};

export class PipelineError extends Error {
  override readonly name = 'PipelineError';
  readonly code: PipelineErrorCode;
  /** Extra JSON fields for the error body (e.g. the current `offset` of an upload). */
  readonly details: Record<string, unknown>;

  constructor(code: PipelineErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details ?? {};
  }

  get status(): number {
    return PIPELINE_ERROR_STATUS[this.code];
  }

  /** Fastify's name for the status, so its default error handler answers with it too. */
  get statusCode(): number {
    return this.status;
  }
}
