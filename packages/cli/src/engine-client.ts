/**
 * Talks to the engine's HTTP API with the CLI's Hangar token (never anything else), maps error
 * answers to `HangarError`s and counts the bytes of every request body sent.
 */
import { HangarError, isErrorCode } from '@hangar/core';
// Types only: the contract's schemas (and zod) are never loaded by the CLI at run time.
import type { ApiRoute, CallInput, ReplyOf } from '@hangar/core/api';
import { fromFetch, nodeTransport, type TransportResponse } from './transport.js';

export interface EngineClient {
  readonly url: string;
  /**
   * Call a route of the API contract and get its reply type. The route is named by its type only
   * (the CLI loads no schema at start-up); its method and path template are checked against it:
   * `client.call<typeof createDeployment>('POST', '/api/v1/orgs/:orgId/deployments', { params: { orgId }, body })`.
   */
  call<R extends ApiRoute>(method: R['method'], path: R['path'], input: CallInput<R>): Promise<ReplyOf<R>>;
  /** Total bytes of request bodies sent by this client. */
  sentBytes(): number;
  json<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T>;
  putBytes(path: string, bytes: Uint8Array): Promise<void>;
  /** Call a route of the contract whose body is bytes of `contentType` (a batch of blobs), and get its reply type. */
  callBytes<R extends ApiRoute>(method: R['method'], path: R['path'], input: { readonly params: Readonly<Record<string, string>> }, bytes: Uint8Array, contentType: string): Promise<ReplyOf<R>>;
  /** A GET whose answer is text (e.g. newline-delimited JSON log lines). */
  text(path: string): Promise<string>;
  /** A streaming GET (server-sent events); the caller reads `chunks()` and calls `close()`. `headers` adds e.g. `last-event-id`. */
  stream(path: string, signal?: AbortSignal, headers?: Readonly<Record<string, string>>): Promise<TransportResponse>;
}

export interface EngineClientOptions {
  readonly url: string;
  readonly token: string;
  readonly fetch?: typeof fetch;
}

async function toError(res: TransportResponse, method: string, path: string): Promise<HangarError> {
  let code: string | undefined;
  let message: string | undefined;
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { code?: unknown; message?: unknown };
    if (typeof body.code === 'string') code = body.code;
    if (typeof body.message === 'string') message = body.message;
  } catch {
    // not JSON: described below
  }
  const details = { status: res.status, remoteCode: code };
  if (code !== undefined && isErrorCode(code)) return new HangarError(code, message ?? code, { details });
  if (res.status === 401) return new HangarError('AUTH_REQUIRED', message ?? 'The engine refused the token. Run `hangar login` again.', { details });
  return new HangarError('INTERNAL', `The engine answered ${method} ${path} with HTTP ${res.status}${code ? ` ${code}` : ''}: ${message ?? (text.slice(0, 200) || 'no body')}`, { details });
}

/** `/api/v1/orgs/:orgId/x` with `{ orgId }` → `/api/v1/orgs/org_1/x`; query values appended when set. */
export function fillPath(template: string, params: Readonly<Record<string, unknown>> | undefined, query?: Readonly<Record<string, unknown>>): string {
  const path = template.replace(/:(\w+)/g, (_m, name: string) => {
    const v = params?.[name];
    if (v === undefined || v === null) throw new Error(`path parameter ${name} missing for ${template}`);
    return encodeURIComponent(String(v));
  });
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null) q.set(k, String(v));
  const qs = q.toString();
  return qs ? `${path}?${qs}` : path;
}

export function createEngineClient(options: EngineClientOptions): EngineClient {
  const transport = options.fetch ? fromFetch(options.fetch) : nodeTransport();
  const base = options.url.replace(/\/+$/, '');
  let sent = 0;

  async function send(method: string, path: string, body: string | Uint8Array | undefined, contentType: string | undefined, signal?: AbortSignal, extra?: Readonly<Record<string, string>>): Promise<TransportResponse> {
    // No token: a public route (redeeming an invitation, exchanging a CI OIDC token).
    const headers: Record<string, string> = { accept: 'application/json', ...extra, ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) };
    if (contentType !== undefined) headers['content-type'] = contentType;
    if (body !== undefined) sent += typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    let res: TransportResponse;
    try {
      res = await transport(`${base}${path}`, { method, headers, body, signal });
    } catch (e) {
      if (signal?.aborted) throw e;
      const why = e instanceof Error ? ((e as { code?: string }).code ?? (e.cause as { code?: string } | undefined)?.code ?? e.message) : String(e);
      throw new HangarError('CLI_ENGINE_UNREACHABLE', `Could not reach the engine at ${base} (${why}). Check that it is running (\`hangar up\` starts one locally) or log in to another with \`hangar login --url <engine>\`.`, { cause: e });
    }
    if (res.status < 200 || res.status > 299) throw await toError(res, method, path);
    return res;
  }

  async function json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await send(method, path, body === undefined ? undefined : JSON.stringify(body), body === undefined ? undefined : 'application/json');
    const text = await res.text(); // read even when empty (204), so the connection is reused
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  return {
    url: base,
    sentBytes: () => sent,
    call: (method, path, input) => json(method, fillPath(path, input.params as Record<string, unknown> | undefined, input.query as Record<string, unknown> | undefined), input.body),
    json: <T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown) => json<T>(method, path, body),
    async putBytes(path: string, bytes: Uint8Array): Promise<void> {
      const res = await send('PUT', path, bytes, 'application/octet-stream');
      await res.text();
    },
    async callBytes(method, path, input, bytes, contentType) {
      const res = await send(method, fillPath(path, input.params), bytes, contentType);
      const text = await res.text();
      return (text === '' ? undefined : JSON.parse(text)) as never;
    },
    text: async (path) => (await send('GET', path, undefined, undefined)).text(),
    stream: (path, signal, headers) => send('GET', path, undefined, undefined, signal, headers),
  };
}
