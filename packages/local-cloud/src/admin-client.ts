/** Small fetch helpers for the admin routes, for tests and tools that drive a running cloud. */
import type { AccountCredentials } from './iam/identity.js';

/** The cloud's admin token: `LocalCloud.adminToken`, or the contents of `<data-dir>/admin-token`. */
export interface AdminAuth {
  readonly adminToken: string;
}

async function post(url: string, body: unknown, auth: AdminAuth): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${auth.adminToken}` },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${url} answered ${res.status}: ${text}`);
  return JSON.parse(text) as unknown;
}

/** POST /_local/accounts: creates the account (random id when omitted) and returns root credentials. */
export async function createAccount(endpoint: string, options: AdminAuth & { readonly accountId?: string }): Promise<AccountCredentials> {
  const { accountId } = options;
  return (await post(`${endpoint}/_local/accounts`, accountId === undefined ? {} : { accountId }, options)) as AccountCredentials;
}

/** POST /_local/clock: moves the server clock forward (needs allowClockControl). Returns the new time. */
export async function advanceClock(endpoint: string, seconds: number, options: AdminAuth): Promise<Date> {
  const out = (await post(`${endpoint}/_local/clock`, { advanceSeconds: seconds }, options)) as { now: string };
  return new Date(out.now);
}
