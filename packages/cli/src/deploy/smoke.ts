/**
 * `hangar deploy --smoke [PATH]`: request the deployed URL once the deployment succeeded. A 5xx
 * answer fails the command with the function's last error from its logs (read through the
 * engine's health route); the deployment itself stays. Not a health check loop: one request.
 */
import type { FunctionError, instanceHealth } from '@hangar/core/api';
import type { EngineClient } from '../engine-client.js';

export interface SmokeResult {
  readonly url: string;
  /** The HTTP status, or null when the URL could not be reached. */
  readonly status: number | null;
  readonly ok: boolean;
  /** For a 5xx: the function's last error (null when its log holds none yet). */
  readonly lastError: FunctionError | null;
  readonly error?: { code: string; message: string };
}

export interface SmokeDeps {
  readonly fetch: typeof fetch;
  readonly client: EngineClient;
  readonly orgId: string;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  readonly timeoutMs?: number;
}

/** `--smoke` alone is `/`; a path without its leading slash gets one. */
export function smokeUrl(base: string, path: string | true): string {
  const p = path === true ? '/' : path.startsWith('/') ? path : `/${path}`;
  return `${base.replace(/\/+$/, '')}${p}`;
}

/** The function's error that explains a failing request: one logged since `from`, waiting briefly for the log to arrive. */
async function lastErrorSince(deps: SmokeDeps, instanceId: string, from: number): Promise<FunctionError | null> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let latest: FunctionError | null = null;
  for (let attempt = 0; attempt < 8; attempt++) {
    if (attempt > 0) await sleep(500);
    try {
      const h = await deps.client.call<typeof instanceHealth>('GET', '/api/v1/orgs/:orgId/instances/:instanceId/health', {
        params: { orgId: deps.orgId, instanceId }, query: { since: '15m' },
      });
      latest = h.lastError;
    } catch {
      return latest; // the summary is a help, not the verdict: the 5xx already failed the smoke test
    }
    if (latest && Date.parse(latest.ts) >= from - 2_000) return latest;
  }
  return latest;
}

export async function smokeTest(deps: SmokeDeps, instanceId: string, url: string): Promise<SmokeResult> {
  const now = deps.now ?? Date.now;
  const started = now();
  let status: number;
  try {
    const res = await deps.fetch(url, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(deps.timeoutMs ?? 30_000) });
    status = res.status;
    await res.arrayBuffer().catch(() => undefined);
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = (e as { name?: string }).name === 'TimeoutError' ? `no answer within ${(deps.timeoutMs ?? 30_000) / 1000} s` : cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
    const message = `--smoke: could not reach ${url} (${why}). The deployment succeeded and stays; check that the URL is reachable from this machine, e.g. \`curl ${url}\`.`;
    return { url, status: null, ok: false, lastError: null, error: { code: 'CLI_SMOKE_UNREACHABLE', message } };
  }
  if (status < 500) return { url, status, ok: true, lastError: null };
  const lastError = await lastErrorSince(deps, instanceId, started);
  const why = lastError
    ? `the function's last error: ${lastError.errorType && !lastError.message.startsWith(lastError.errorType) ? `${lastError.errorType}: ` : ''}${lastError.message} (request ${lastError.requestId ?? 'unknown'})`
    : 'the function logged no error (see `hangar logs`)';
  return {
    url, status, ok: false, lastError,
    error: { code: 'CLI_SMOKE_FAILED', message: `--smoke: GET ${url} answered HTTP ${status}; ${why}. The deployment stays; fix the code and deploy again, or see \`hangar logs --since 15m\`.` },
  };
}
