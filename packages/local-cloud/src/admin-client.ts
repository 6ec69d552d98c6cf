/** Small fetch helpers for the admin routes, for tests and tools that drive a running cloud. */
import type { AccountCredentials } from './iam/identity.js';

async function post(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${url} answered ${res.status}: ${text}`);
  return JSON.parse(text) as unknown;
}

/** POST /_local/accounts: creates the account (random id when omitted) and returns root credentials. */
export async function createAccount(endpoint: string, accountId?: string): Promise<AccountCredentials> {
  return (await post(`${endpoint}/_local/accounts`, accountId === undefined ? {} : { accountId })) as AccountCredentials;
}

/** POST /_local/clock: moves the server clock forward (needs allowClockControl). Returns the new time. */
export async function advanceClock(endpoint: string, seconds: number): Promise<Date> {
  const out = (await post(`${endpoint}/_local/clock`, { advanceSeconds: seconds })) as { now: string };
  return new Date(out.now);
}
