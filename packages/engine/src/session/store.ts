/** Sessions in the database: created from an API token, found by the cookie's secret, ended on sign-out. */
import { HangarError } from '@hangar/core';
import type { Actor, CoreDeps, Role } from '../types.js';
import { newId } from '../store/ids.js';
import { hashToken } from '../tokens/tokens.js';
import { hashSecret, newSessionSecret } from './secrets.js';
import './tables.js';
import '../orgs/tables.js';
import '../tokens/tables.js';

/** Twelve hours: a working day, after which the dashboard asks for a token again. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export interface SessionIdentity {
  readonly sessionId: string;
  readonly userId: string;
  readonly tokenId: string;
  readonly expiresAt: string;
  readonly actor: Actor;
}

export interface SessionDescription {
  readonly user: { readonly id: string; readonly name: string; readonly email: string };
  readonly orgs: readonly { readonly id: string; readonly name: string; readonly role: Role }[];
  readonly expiresAt: string;
}

export interface SessionStore {
  /** Sign in with an API token; throws AUTH_REQUIRED when it is unknown or revoked. */
  create(token: string): Promise<{ secret: string; identity: SessionIdentity; tokenOrgId: string }>;
  /** The live session for a cookie secret (not expired, its token not revoked), or undefined. */
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
  return {
    async create(token) {
      const now = clock.now();
      const row = await db.selectFrom('api_tokens')
        .innerJoin('users', 'users.id', 'api_tokens.user_id')
        .select(['api_tokens.id as tokenId', 'api_tokens.org_id as orgId', 'users.id as userId', 'users.email as email'])
        .where('api_tokens.hash', '=', hashToken(token))
        .where('api_tokens.revoked_at', 'is', null)
        .executeTakeFirst();
      if (!row) {
        throw new HangarError('AUTH_REQUIRED', 'That API token is not valid, or it has been revoked. Check that you pasted all of it, or ask an owner or admin of your organisation for a new one.');
      }
      await db.deleteFrom('sessions').where('expires_at', '<=', now.toISOString()).execute();
      const secret = newSessionSecret();
      const id = newId('ses');
      const expiresAt = new Date(now.getTime() + SESSION_TTL_MS).toISOString();
      await db.insertInto('sessions').values({
        id, secret_hash: hashSecret(secret), user_id: row.userId, token_id: row.tokenId, created_at: now.toISOString(), expires_at: expiresAt,
      }).execute();
      return { secret, tokenOrgId: row.orgId, identity: { sessionId: id, userId: row.userId, tokenId: row.tokenId, expiresAt, actor: actorFor(row.userId, row.email) } };
    },

    async find(secret) {
      const row = await db.selectFrom('sessions')
        .innerJoin('api_tokens', 'api_tokens.id', 'sessions.token_id')
        .innerJoin('users', 'users.id', 'sessions.user_id')
        .select(['sessions.id as sessionId', 'sessions.user_id as userId', 'sessions.token_id as tokenId', 'sessions.expires_at as expiresAt', 'users.email as email'])
        .where('sessions.secret_hash', '=', hashSecret(secret))
        .where('sessions.expires_at', '>', clock.now().toISOString())
        .where('api_tokens.revoked_at', 'is', null)
        .executeTakeFirst();
      if (!row) return undefined;
      return { sessionId: row.sessionId, userId: row.userId, tokenId: row.tokenId, expiresAt: row.expiresAt, actor: actorFor(row.userId, row.email) };
    },

    async remove(secret) {
      await db.deleteFrom('sessions').where('secret_hash', '=', hashSecret(secret)).execute();
    },

    async describe(identity) {
      const user = await db.selectFrom('users').select(['id', 'name', 'email']).where('id', '=', identity.userId).executeTakeFirstOrThrow();
      const orgs = await db.selectFrom('memberships')
        .innerJoin('orgs', 'orgs.id', 'memberships.org_id')
        .select(['orgs.id as id', 'orgs.name as name', 'memberships.role as role'])
        .where('memberships.user_id', '=', identity.userId)
        .orderBy('orgs.name')
        .execute();
      return { user, orgs, expiresAt: identity.expiresAt };
    },

    async roleIn(userId, orgId) {
      const m = await db.selectFrom('memberships').select('role').where('user_id', '=', userId).where('org_id', '=', orgId).executeTakeFirst();
      return m?.role;
    },
  };
}
