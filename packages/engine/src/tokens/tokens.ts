import { createHash, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { HangarError } from '@hangar/core';
import type { AuditApi, Clock, Db } from '../types.js';
import type { Authenticator, Identity } from '../http/auth.js';
import { newId } from '../store/ids.js';
import { isUniqueViolation } from '../store/errors.js';
import './tables.js';
import '../orgs/tables.js';

export const TOKEN_PREFIX = 'hgr_';
const TOKEN_PATTERN = /^hgr_[A-Za-z0-9_-]{40,}$/;
// A token's last use is written at most this often, not on every request.
const LAST_USED_RESOLUTION_MS = 60_000;

/** A token as listed: never the token, never its hash. */
export interface TokenInfo {
  readonly id: string;
  readonly orgId: string;
  readonly userId: string;
  readonly name: string;
  readonly prefix: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

/** Returned once, when a token is created: the only time the token itself exists outside the caller. */
export interface CreatedToken extends TokenInfo { readonly token: string }

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function generateToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

type Row = { id: string; org_id: string; user_id: string; name: string; prefix: string; created_at: string; last_used_at: string | null; revoked_at: string | null };
function info(r: Row): TokenInfo {
  return { id: r.id, orgId: r.org_id, userId: r.user_id, name: r.name, prefix: r.prefix, createdAt: r.created_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at };
}
const columns = ['id', 'org_id', 'user_id', 'name', 'prefix', 'created_at', 'last_used_at', 'revoked_at'] as const;

export interface TokensDeps { readonly db: Db; readonly clock: Clock; readonly audit: AuditApi }

export function createTokens({ db, clock, audit }: TokensDeps) {
  async function create(orgId: string, userId: string, name: string, actor: string): Promise<CreatedToken> {
    const m = await db.selectFrom('memberships').select('role').where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst();
    if (!m) throw new HangarError('NOT_FOUND', `User ${userId} is not a member of organisation ${orgId}.`);
    const live = await db.selectFrom('api_tokens').select('id').where('org_id', '=', orgId).where('user_id', '=', userId)
      .where('name', '=', name).where('revoked_at', 'is', null).executeTakeFirst();
    if (live) throw new HangarError('CONFLICT', `You already have a token named "${name}" (${live.id}); pick another name or revoke that one first.`);
    const token = generateToken();
    const row = {
      id: newId('tok'), org_id: orgId, user_id: userId, name, hash: hashToken(token), prefix: token.slice(0, TOKEN_PREFIX.length + 4),
      created_at: clock.now().toISOString(), last_used_at: null, revoked_at: null,
    };
    try {
      await db.insertInto('api_tokens').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new HangarError('CONFLICT', `You already have a token named "${name}"; pick another name or revoke that one first.`);
      throw err;
    }
    await audit.append({ orgId, kind: 'token.created', actor, subject: `token:${row.id}`, data: { tokenId: row.id, name, userId, prefix: row.prefix } });
    return { ...info(row), token };
  }

  async function list(orgId: string, userId?: string): Promise<TokenInfo[]> {
    let q = db.selectFrom('api_tokens').select(columns).where('org_id', '=', orgId);
    if (userId) q = q.where('user_id', '=', userId);
    return (await q.orderBy('created_at', 'desc').orderBy('id').execute()).map(info);
  }

  async function get(orgId: string, tokenId: string): Promise<TokenInfo | undefined> {
    const r = await db.selectFrom('api_tokens').select(columns).where('org_id', '=', orgId).where('id', '=', tokenId).executeTakeFirst();
    return r && info(r);
  }

  /** Revoke; revoking an already revoked token changes nothing and is not audited again. */
  async function revoke(orgId: string, tokenId: string, actor: string): Promise<TokenInfo> {
    const t = await get(orgId, tokenId);
    if (!t) throw new HangarError('NOT_FOUND', `Token ${tokenId} not found in this organisation.`);
    if (t.revokedAt) return t;
    const now = clock.now().toISOString();
    await db.updateTable('api_tokens').set({ revoked_at: now }).where('id', '=', tokenId).where('revoked_at', 'is', null).execute();
    await audit.append({ orgId, kind: 'token.revoked', actor, subject: `token:${tokenId}`, data: { tokenId, name: t.name, userId: t.userId } });
    return { ...t, revokedAt: now };
  }

  /** Revoke every live token of a user in an org (when they leave it). */
  async function revokeAllFor(orgId: string, userId: string, actor: string): Promise<void> {
    for (const t of await list(orgId, userId)) if (!t.revokedAt) await revoke(orgId, t.id, actor);
  }

  /** The authenticator for `Authorization: Bearer hgr_…`. */
  const authenticator: Authenticator = async (request: FastifyRequest): Promise<Identity | undefined> => {
    const header = request.headers.authorization;
    if (!header) return undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) return undefined;
    const token = m[1]!;
    // Made only when thrown: an Error's stack capture on every request was visible in the API's cpu profile.
    const invalid = () => new HangarError('AUTH_REQUIRED', 'The API token is unknown or revoked. Run `hangar login` with a current token, or create one in the dashboard.');
    if (!TOKEN_PATTERN.test(token)) throw invalid();
    const row = await db.selectFrom('api_tokens').select(['id', 'org_id', 'user_id', 'name', 'last_used_at', 'revoked_at'])
      .where('hash', '=', hashToken(token)).executeTakeFirst();
    if (!row || row.revoked_at) throw invalid();
    const now = clock.now();
    if (!row.last_used_at || now.getTime() - Date.parse(row.last_used_at) >= LAST_USED_RESOLUTION_MS) {
      await db.updateTable('api_tokens').set({ last_used_at: now.toISOString() }).where('id', '=', row.id).execute();
    }
    return { userId: row.user_id, orgId: row.org_id, actor: { kind: 'token', id: row.id, userId: row.user_id, name: `token:${row.name}` } };
  };

  return { create, list, get, revoke, revokeAllFor, authenticator };
}
export type Tokens = ReturnType<typeof createTokens>;
