/**
 * The dashboard's only door to the engine. Same-origin requests carry the session cookie; every
 * state-changing one also carries the session's CSRF token. Failures become `ApiError` holding the
 * engine's own `{code, message}` so pages can show what happened.
 */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface Api {
  get<T>(path: string): Promise<T>;
  send<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T>;
  setCsrf(token: string | undefined): void;
}

export function createApi(base = '/api/v1', fetchFn: typeof fetch = (...a) => fetch(...a)): Api {
  let csrf: string | undefined;
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
    let res: Response;
    try {
      res = await fetchFn(base + path, {
        method,
        headers,
        credentials: 'same-origin',
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, 'ENGINE_UNREACHABLE', 'The engine did not answer. Check that it is running, then try again.');
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let data: unknown;
    try { data = text ? JSON.parse(text) : undefined; } catch { data = undefined; }
    if (!res.ok) {
      const e = (data ?? {}) as { code?: string; message?: string };
      throw new ApiError(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? `The engine answered ${res.status} ${res.statusText}.`);
    }
    return data as T;
  }
  return {
    get: (path) => call('GET', path),
    send: (method, path, body) => call(method, path, body),
    setCsrf: (token) => { csrf = token; },
  };
}

export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
