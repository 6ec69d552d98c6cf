/**
 * The /_local/* admin routes: accounts, the clock, health. Not SigV4-signed: every one needs the
 * cloud's admin token (`Authorization: Bearer <token>`), which only the person who started the
 * cloud can read (`<data-dir>/admin-token`, mode 0600). Functions running in the cloud never get it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ServiceResponse } from '../internal/contract.js';
import type { Identity } from '../iam/identity.js';
import { isoSeconds } from '../internal/ids.js';
import type { Clock } from './clock.js';

export interface AdminDeps {
  readonly identity: Identity;
  readonly clock: Clock;
  readonly allowClockControl: boolean;
  /** The token every admin request must carry. */
  readonly adminToken: string;
  /** Where the token can be read, named in refusals (undefined: only the starter holds it). */
  readonly adminTokenFile: string | undefined;
  /** Most accounts this cloud holds; creating one more is refused. */
  readonly maxAccounts: number;
  changed(): void;
}

/** The default bound on accounts (each has its own IAM, Lambda, ... state and root keys). */
export const DEFAULT_MAX_ACCOUNTS = 50;

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

/** The file name of the admin token inside a data dir. */
export const ADMIN_TOKEN_FILE = 'admin-token';

/**
 * Reads `<dataDir>/admin-token`, or writes a fresh random one there (mode 0600, written
 * atomically). Without a data dir the token lives only in memory.
 */
export function loadOrCreateAdminToken(dataDir: string | undefined): { token: string; file: string | undefined } {
  if (dataDir === undefined) return { token: newToken(), file: undefined };
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (/^[A-Za-z0-9_-]{32,}$/.test(token)) {
      chmodSync(file, 0o600);
      return { token, file };
    }
  }
  const token = newToken();
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${token}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return { token, file };
}

function newToken(): string {
  return `hlc_${randomBytes(32).toString('base64url')}`;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time comparison of the Authorization header against `Bearer <token>`. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  // Hashing first makes both sides the same length, so timingSafeEqual never throws or leaks it.
  return timingSafeEqual(digest(m?.[1] ?? ''), digest(token)) && m !== null;
}

export function createAdmin(deps: AdminDeps) {
  const where = deps.adminTokenFile ? `It is in ${deps.adminTokenFile} (readable only by the user who started the cloud).` : 'startLocalCloud() returns it as adminToken.';
  return function handleAdmin(method: string, path: string, body: Buffer, authorization: string | undefined): ServiceResponse {
    if (authorization === undefined || authorization === '') {
      return json(401, { message: `The local cloud's admin routes need its admin token: send "Authorization: Bearer <token>". ${where}` });
    }
    if (!bearerMatches(authorization, deps.adminToken)) {
      return json(403, { message: `The admin token is not valid for this local cloud. ${where}` });
    }
    if (path === '/_local/health' && method === 'GET') return json(200, { status: 'ok', now: isoSeconds(deps.clock.now()) });
    if (path === '/_local/accounts' && method === 'POST') {
      const input = parseBody(body);
      if (!input) return json(400, { message: 'Expected a JSON object such as {"accountId": "111111111111"}.' });
      const id = input.accountId;
      if (id !== undefined && (typeof id !== 'string' || !/^\d{12}$/.test(id))) {
        return json(400, { message: `accountId must be a string of 12 digits, got ${JSON.stringify(id)}.` });
      }
      const existed = typeof id === 'string' && deps.identity.account(id) !== undefined;
      if (!existed && Object.keys(deps.identity.state.accounts).length >= deps.maxAccounts) {
        // AWS Organizations' answer when an organization is at its account quota.
        return json(400, {
          __type: 'ConstraintViolationException', Reason: 'ACCOUNT_NUMBER_LIMIT_EXCEEDED',
          message: `You have exceeded the allowed number of AWS accounts: this local cloud holds at most ${deps.maxAccounts} (maxAccounts, hangar-cloud --max-accounts).`,
        });
      }
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
