/**
 * Talks to the engine's HTTP API with the CLI's Hangar token (never anything else), maps error
 * answers to `HangarError`s and counts the bytes of every request body sent.
 */
import { HangarError, isErrorCode } from '@hangar/core';
import { fromFetch, nodeTransport, type TransportResponse } from './transport.js';

export interface EngineClient {
  readonly url: string;
  /** Total bytes of request bodies sent by this client. */
  sentBytes(): number;
  json<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T>;
  putBytes(path: string, bytes: Uint8Array): Promise<void>;
  /** A GET whose answer is text (e.g. newline-delimited JSON log lines). */
  text(path: string): Promise<string>;
  /** A streaming GET (server-sent events); the caller reads `chunks()` and calls `close()`. */
  stream(path: string, signal?: AbortSignal): Promise<TransportResponse>;
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

export function createEngineClient(options: EngineClientOptions): EngineClient {
  const transport = options.fetch ? fromFetch(options.fetch) : nodeTransport();
  const base = options.url.replace(/\/+$/, '');
  let sent = 0;

  async function send(method: string, path: string, body: string | Uint8Array | undefined, contentType: string | undefined, signal?: AbortSignal): Promise<TransportResponse> {
    // No token: a public route (redeeming an invitation, exchanging a CI OIDC token).
    const headers: Record<string, string> = { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), accept: 'application/json' };
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

  return {
    url: base,
    sentBytes: () => sent,
    async json<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
      const res = await send(method, path, body === undefined ? undefined : JSON.stringify(body), body === undefined ? undefined : 'application/json');
      const text = await res.text(); // read even when empty (204), so the connection is reused
      return (text === '' ? undefined : JSON.parse(text)) as T;
    },
    async putBytes(path: string, bytes: Uint8Array): Promise<void> {
      const res = await send('PUT', path, bytes, 'application/octet-stream');
      await res.text();
    },
    text: async (path) => (await send('GET', path, undefined, undefined)).text(),
    stream: (path, signal) => send('GET', path, undefined, undefined, signal),
  };
}
