/**
 * Typed errors of the network rules. Each code maps to one HTTP status in src/server, so
 * a rule says what went wrong once and every caller (API, CLI, agent) reports it the same
 * way.
 */
export type NetworkErrorCode =
  | 'BAD_REQUEST' // an argument is out of range or inconsistent (400)
  | 'UNAUTHORIZED' // missing or unknown token (401)
  | 'FORBIDDEN' // a token acting outside its rights, e.g. a node as another node (403)
  | 'NOT_FOUND' // no such site/node/mission/task/command (404)
  | 'CONFLICT' // the entity is not in a state that allows this transition (409)
  | 'LEASE_EXPIRED'; // an ack/report came after the lease ran out and the work moved on (409)

export const NETWORK_ERROR_STATUS: Record<NetworkErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  LEASE_EXPIRED: 409,
};

export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  readonly code: NetworkErrorCode;

  constructor(code: NetworkErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  get status(): number {
    return NETWORK_ERROR_STATUS[this.code];
  }
}
