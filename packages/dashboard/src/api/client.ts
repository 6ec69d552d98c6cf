/**
 * The dashboard's only door to the engine. Same-origin requests carry the session cookie; every
 * state-changing one also carries the session's CSRF token. Failures become `ApiError` holding the
 * engine's own `{code, message}` so pages can show what happened.
 */
import type { ApiRoute, CallInput, ReplyOf } from '@hangar/core/api';

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface Api {
  /**
   * Call a route of the API contract (named by its type; no schema is bundled) and get its reply
   * type: `api.call<typeof listProviders>('GET', '/api/v1/orgs/:orgId/providers', { params: { orgId } })`.
   */
  call<R extends ApiRoute>(method: R['method'], path: R['path'], input: CallInput<R>): Promise<ReplyOf<R>>;
  get<T>(path: string): Promise<T>;
  send<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T>;
  setCsrf(token: string | undefined): void;
}

export function createApi(base = '/api/v1', fetchFn: typeof fetch = (...a) => fetch(...a)): Api {
  let csrf: string | undefined;
  async function call<T>(method: string, path: string, body?: unknown, prefix = base): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
    let res: Response;
    try {
      res = await fetchFn(prefix + path, {
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
  const root = base.replace(/\/api\/v1\/?$/, '');
  return {
    call: (method, path, input) => call(method, fillPath(path, input.params as Record<string, unknown> | undefined, input.query as Record<string, unknown> | undefined), input.body, root),
    get: (path) => call('GET', path),
    send: (method, path, body) => call(method, path, body),
    setCsrf: (token) => { csrf = token; },
  };
}

/** `/api/v1/orgs/:orgId/x` with `{ orgId }` → `/api/v1/orgs/org_1/x`; query values appended when set. */
export function fillPath(template: string, params: Readonly<Record<string, unknown>> | undefined, query?: Readonly<Record<string, unknown>>): string {
  const path = template.replace(/:(\w+)/g, (_m, name: string) => encodeURIComponent(String(params?.[name] ?? '')));
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null) q.set(k, String(v));
  const qs = q.toString();
  return qs ? `${path}?${qs}` : path;
}

export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
