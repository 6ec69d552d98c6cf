/** The /_local/* admin routes: accounts, the clock, health. Unsigned: for local use only. */
import type { ServiceResponse } from '../internal/contract.js';
import type { Identity } from '../iam/identity.js';
import { isoSeconds } from '../internal/ids.js';
import type { Clock } from './clock.js';

export interface AdminDeps {
  readonly identity: Identity;
  readonly clock: Clock;
  readonly allowClockControl: boolean;
  changed(): void;
}

const json = (status: number, body: unknown): ServiceResponse => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

function parseBody(body: Buffer): Record<string, unknown> | undefined {
  if (body.length === 0) return {};
  try {
    const v = JSON.parse(body.toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function createAdmin(deps: AdminDeps) {
  return function handleAdmin(method: string, path: string, body: Buffer): ServiceResponse {
    if (path === '/_local/health' && method === 'GET') return json(200, { status: 'ok', now: isoSeconds(deps.clock.now()) });
    if (path === '/_local/accounts' && method === 'POST') {
      const input = parseBody(body);
      if (!input) return json(400, { message: 'Expected a JSON object such as {"accountId": "111111111111"}.' });
      const id = input.accountId;
      if (id !== undefined && (typeof id !== 'string' || !/^\d{12}$/.test(id))) {
        return json(400, { message: `accountId must be a string of 12 digits, got ${JSON.stringify(id)}.` });
      }
      const existed = typeof id === 'string' && deps.identity.account(id) !== undefined;
      const creds = deps.identity.createAccount(id);
      return json(existed ? 200 : 201, creds);
    }
    if (path === '/_local/clock' && deps.allowClockControl) {
      if (method === 'GET') return json(200, { now: deps.clock.now().toISOString(), offsetSeconds: deps.clock.offsetMs() / 1000 });
      if (method === 'POST') {
        const input = parseBody(body);
        const n = input?.advanceSeconds;
        if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
          return json(400, { message: 'Expected {"advanceSeconds": n} with n a number of seconds >= 0.' });
        }
        const now = deps.clock.advance(n);
        deps.changed();
        return json(200, { now: now.toISOString(), offsetSeconds: deps.clock.offsetMs() / 1000 });
      }
    }
    return json(404, { message: `No local route ${method} ${path}.` });
  };
}
