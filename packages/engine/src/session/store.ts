/**
 * Sessions in the database: created from an API token, found by the cookie's secret, ended on
 * sign-out. API tokens are bound to one org, and so is what a session opens: each org in it was
 * added by signing in with a live token of that org (of the same user); revoking that token
 * closes that org to the session.
 */
import { HangarError } from '@hangar/core';
import type { Actor, CoreDeps, Role } from '../types.js';
import { newId } from '../store/ids.js';
import { hashToken } from '../tokens/tokens.js';
import { hashSecret, newSessionSecret } from './secrets.js';
import { liveTokenByHash, liveTokenOrgs, membershipRole, orgsOfUserAmong, userById } from '../orgs/reads.js';
import './tables.js';

/** Twelve hours: a working day, after which the dashboard asks for a token again. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export interface SessionIdentity {
  readonly sessionId: string;
  readonly userId: string;
  /** The orgs this session opens (each through a live token of it), in the order they were added. */
  readonly orgIds: readonly string[];
  readonly expiresAt: string;
  readonly actor: Actor;
}

export interface SessionDescription {
  readonly user: { readonly id: string; readonly name: string; readonly email: string };
  readonly orgs: readonly { readonly id: string; readonly name: string; readonly role: Role }[];
  readonly expiresAt: string;
}

export interface SessionStore {
  /**
   * Sign in with an API token; throws AUTH_REQUIRED when it is unknown or revoked. With the secret
   * of a live session of the same user, the token's org is added to that session instead.
   */
  create(token: string, current?: string): Promise<{ secret: string; identity: SessionIdentity; tokenId: string; tokenOrgId: string }>;
  /** The live session for a cookie secret (not expired, at least one of its tokens live), or undefined. */
  find(secret: string): Promise<SessionIdentity | undefined>;
  remove(secret: string): Promise<void>;
  describe(identity: SessionIdentity): Promise<SessionDescription>;
  /** The caller's role in an org, or undefined when they are not a member. */
  roleIn(userId: string, orgId: string): Promise<Role | undefined>;
}

function actorFor(userId: string, email: string): Actor {
  return { kind: 'user', id: userId, userId, name: `user:${email}` };
}

export function createSessionStore({ db, clock }: Pick<CoreDeps, 'db' | 'clock'>): SessionStore {
  async function find(secret: string): Promise<SessionIdentity | undefined> {
    const row = await db.selectFrom('sessions')
      .select(['id as sessionId', 'user_id as userId', 'expires_at as expiresAt'])
      .where('secret_hash', '=', hashSecret(secret))
      .where('expires_at', '>', clock.now().toISOString())
      .executeTakeFirst();
    const user = row ? await userById(db, row.userId) : undefined;
    if (!row || !user) return undefined;
    const session = { ...row, email: user.email };
    const joined = await db.selectFrom('session_orgs').select(['org_id as orgId', 'token_id as tokenId'])
      .where('session_id', '=', session.sessionId)
      .orderBy('created_at').orderBy('org_id')
      .execute();
    // An org stays open while the token that opened it is live (and was issued in that org).
    const live = await liveTokenOrgs(db, joined.map((o) => o.tokenId));
    const orgs = joined.filter((o) => live.get(o.tokenId) === o.orgId);
    if (orgs.length === 0) return undefined;
    return { sessionId: session.sessionId, userId: session.userId, orgIds: orgs.map((o) => o.orgId), expiresAt: session.expiresAt, actor: actorFor(session.userId, session.email) };
  }

  return {
    async create(token, current) {
      const now = clock.now();
      const row = await liveTokenByHash(db, hashToken(token));
      if (!row) {
        throw new HangarError('AUTH_REQUIRED', 'That API token is not valid, or it has been revoked. Check that you pasted all of it, or ask an owner or admin of your organisation for a new one.');
      }
      const existing = current ? await find(current) : undefined;
      if (existing && existing.userId === row.userId && current) {
        await db.deleteFrom('session_orgs').where('session_id', '=', existing.sessionId).where('org_id', '=', row.orgId).execute();
        await db.insertInto('session_orgs').values({ session_id: existing.sessionId, org_id: row.orgId, token_id: row.tokenId, created_at: now.toISOString() }).execute();
        return { secret: current, identity: (await find(current))!, tokenId: row.tokenId, tokenOrgId: row.orgId };
      }
      await db.deleteFrom('sessions').where('expires_at', '<=', now.toISOString()).execute();
      const secret = newSessionSecret();
      const id = newId('ses');
      const expiresAt = new Date(now.getTime() + SESSION_TTL_MS).toISOString();
      await db.insertInto('sessions').values({
        id, secret_hash: hashSecret(secret), user_id: row.userId, token_id: row.tokenId, created_at: now.toISOString(), expires_at: expiresAt,
      }).execute();
      await db.insertInto('session_orgs').values({ session_id: id, org_id: row.orgId, token_id: row.tokenId, created_at: now.toISOString() }).execute();
      return { secret, identity: (await find(secret))!, tokenId: row.tokenId, tokenOrgId: row.orgId };
    },

    find,

    async remove(secret) {
      const s = await db.selectFrom('sessions').select('id').where('secret_hash', '=', hashSecret(secret)).executeTakeFirst();
      if (!s) return;
      await db.deleteFrom('session_orgs').where('session_id', '=', s.id).execute();
      await db.deleteFrom('sessions').where('id', '=', s.id).execute();
    },

    async describe(identity) {
      const user = await userById(db, identity.userId);
      if (!user) throw new HangarError('AUTH_REQUIRED', 'The user of this session no longer exists; sign in again.');
      const orgs = await orgsOfUserAmong(db, identity.userId, identity.orgIds);
      return { user, orgs, expiresAt: identity.expiresAt };
    },

    async roleIn(userId, orgId) {
      return membershipRole(db, orgId, userId);
    },
  };
}
