/**
 * The service's JSON API as the dashboard calls it: same origin, an optional bearer token
 * (kept in localStorage when the service closes reads), typed errors with the service's
 * `code` and `message`.
 */
const TOKEN_KEY = 'openastro.token';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export function getToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // private mode: the token lives for this page only
  }
}

export function authHeaders(): Record<string, string> {
  const token = getToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

async function request(path: string, accept: string, signal?: AbortSignal): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(path, { headers: { accept, ...authHeaders() }, signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError('NETWORK', `cannot reach the service (${(err as Error).message})`, 0);
  }
  if (!res.ok) {
    let code = `HTTP_${res.status}`;
    let message = `${res.status} ${res.statusText} for ${path}`;
    try {
      const body = (await res.json()) as { code?: string; message?: string };
      if (typeof body.code === 'string') code = body.code;
      if (typeof body.message === 'string') message = body.message;
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(code, message, res.status);
  }
  return res;
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await request(path, 'application/json', signal);
  try {
    return (await res.json()) as T;
  } catch {
    throw new ApiError('BAD_RESPONSE', `${path} did not answer JSON`, res.status);
  }
}

export async function getBytes(path: string, signal?: AbortSignal): Promise<Uint8Array> {
  const res = await request(path, 'application/fits, application/octet-stream', signal);
  return new Uint8Array(await res.arrayBuffer());
}

/** A list that a route may return bare or wrapped as `{ <key>: [...] }`. */
export function listOf<T>(body: unknown, key: string): T[] {
  if (Array.isArray(body)) return body as T[];
  const inner = (body as Record<string, unknown> | null)?.[key];
  return Array.isArray(inner) ? (inner as T[]) : [];
}
