/**
 * The HTTP client of the OpenAstro API, shared by the CLI (`openastro node|mission …`), the
 * node agent and the volunteer client. It speaks JSON, attaches the bearer token, bounds
 * every request by a timeout, and turns every failure into an ApiError that says what
 * happened in one line: the server's `{code, message}` body when there is one, otherwise
 * the transport reason (refused, timed out, not JSON).
 */

export type ApiErrorCode =
  | 'UNREACHABLE' // connection refused, DNS failure, reset
  | 'TIMEOUT' // no complete answer within the timeout
  | 'BAD_RESPONSE' // the body was not the JSON the API sends
  | string; // the server's own code (BAD_REQUEST, UNAUTHORIZED, NOT_FOUND, CONFLICT, …)

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: ApiErrorCode;
  /** HTTP status, 0 when no response arrived. */
  readonly status: number;

  constructor(code: ApiErrorCode, status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.status = status;
  }

  /** Worth retrying later: transport failures, 5xx, 429. 4xx answers will not change. */
  get retryable(): boolean {
    return this.status === 0 || this.status >= 500 || this.status === 429;
  }
}

export interface ApiClientOptions {
  /** Base URL of the service, e.g. http://127.0.0.1:8080 (a trailing slash is fine). */
  baseUrl: string;
  /** Bearer token (operator or node). */
  token?: string;
  /** Per-request timeout, ms (default 30 000). */
  timeoutMs?: number;
  /** Injectable fetch (tests); default the global one. */
  fetch?: typeof fetch;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Raw body instead of JSON (uploads). */
  rawBody?: Uint8Array;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

export interface ApiClient {
  readonly baseUrl: string;
  request<T = unknown>(method: string, path: string, opts?: RequestOptions): Promise<ApiResponse<T>>;
  get<T = unknown>(path: string, opts?: RequestOptions): Promise<T>;
  post<T = unknown>(path: string, body?: unknown, opts?: RequestOptions): Promise<T>;
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  let base: URL;
  try {
    base = new URL(options.baseUrl);
  } catch {
    throw new ApiError('BAD_REQUEST', 0, `server URL '${options.baseUrl}' is not a URL (expected e.g. http://127.0.0.1:8080)`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new ApiError('BAD_REQUEST', 0, `server URL '${options.baseUrl}' must be http:// or https://`);
  }
  const baseUrl = base.toString().replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const defaultTimeout = options.timeoutMs ?? 30_000;

  async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    const url = new URL(baseUrl + (path.startsWith('/') ? path : `/${path}`));
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: Uint8Array | string | undefined;
    if (opts.rawBody !== undefined) {
      body = opts.rawBody;
      headers['content-type'] ??= 'application/octet-stream';
    } else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    const timeoutMs = opts.timeoutMs ?? defaultTimeout;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    const what = `${method} ${url.pathname}`;
    let res: Response;
    let text: string;
    try {
      res = await doFetch(url, { method, headers, body, signal });
      text = await res.text();
    } catch (err) {
      if (opts.signal?.aborted) throw new ApiError('ABORTED', 0, `${what}: aborted`, { cause: err });
      if (timeout.aborted) throw new ApiError('TIMEOUT', 0, `${what}: no answer from ${baseUrl} within ${timeoutMs} ms`, { cause: err });
      throw new ApiError('UNREACHABLE', 0, `${what}: cannot reach ${baseUrl} (${transportReason(err)})`, { cause: err });
    }
    let parsed: unknown = undefined;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        if (res.ok) throw new ApiError('BAD_RESPONSE', res.status, `${what}: the answer is not JSON (${text.slice(0, 80)})`);
      }
    }
    if (!res.ok) {
      const e = parsed as { code?: unknown; message?: unknown } | undefined;
      const code = typeof e?.code === 'string' ? e.code : `HTTP_${res.status}`;
      const message = typeof e?.message === 'string' ? e.message : text.slice(0, 200) || res.statusText;
      throw new ApiError(code, res.status, `${what}: ${res.status} ${code}: ${message}`);
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  return {
    baseUrl,
    request,
    get: async <T>(path: string, opts?: RequestOptions) => (await request<T>('GET', path, opts)).body,
    post: async <T>(path: string, body?: unknown, opts?: RequestOptions) => (await request<T>('POST', path, { ...opts, body })).body,
  };
}

function transportReason(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return err instanceof Error ? err.message : String(err);
}
