import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HangarError } from '@hangar/core';
import type { Actor, CredentialScope, Db, RequestAuth, Role } from '../types.js';
import { checkScopedRoute } from './scope.js';
import { membershipRole } from '../orgs/reads.js';

/** Who is calling, before any org is considered. */
export interface Identity {
  readonly userId: string;
  readonly actor: Actor;
  /** Set when the credential is bound to one org (API tokens are); other orgs then answer 404. */
  readonly orgId?: string;
  /** Set by credentials that carry their own role (CI tokens): no membership is looked up. */
  readonly role?: Role;
  /** Set by credentials limited to one app and stage (CI tokens); see http/scope.ts. */
  readonly scope?: CredentialScope;
}

/**
 * One way of recognising a caller (API token, dashboard session cookie…). Return undefined when
 * the request does not carry this kind of credential; throw HangarError AUTH_REQUIRED when it
 * carries one that is invalid (unknown, revoked, expired).
 */
export type Authenticator = (request: FastifyRequest) => Promise<Identity | undefined>;

/** Route option: `{ config: { public: true } }` lets a route under /api/v1 answer callers without credentials. */
export interface RouteAuthConfig { readonly public?: boolean }

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, on every /api/v1 route that was given credentials. */
    identity?: Identity;
  }
  interface FastifyInstance {
    /** Add a way to authenticate callers (e.g. the dashboard's session cookie). Tried in order; first match wins. */
    addAuthenticator(authenticator: Authenticator): void;
  }
}

function orgNotFound(orgId: string): HangarError {
  return new HangarError('NOT_FOUND', `Organisation ${JSON.stringify(orgId)} not found. \`hangar whoami\` lists the organisations you belong to.`);
}

/**
 * The platform's auth hook. On every route under /api/v1 it runs the authenticators; on routes
 * under /api/v1/orgs/:orgId it also requires a membership and sets `request.auth` with the
 * caller's role there. Non-members get 404, exactly as for an org that does not exist.
 */
export function installAuth(app: FastifyInstance, db: Db, initial: readonly Authenticator[] = []): void {
  const authenticators: Authenticator[] = [...initial];
  app.decorate('addAuthenticator', (a: Authenticator) => { authenticators.push(a); });
  app.decorateRequest('identity', undefined);
  app.decorateRequest('auth', undefined);

  app.addHook('onRequest', async (request) => {
    if (request.is404) return;
    const route = request.routeOptions.url ?? '';
    if (!route.startsWith('/api/v1/')) return;
    let identity: Identity | undefined;
    for (const authenticate of authenticators) {
      identity = await authenticate(request);
      if (identity) break;
    }
    const config = request.routeOptions.config as RouteAuthConfig;
    if (!identity) {
      if (config.public) return;
      throw new HangarError('AUTH_REQUIRED', 'This needs an API token: run `hangar login`, or send `Authorization: Bearer <token>` (set HANGAR_TOKEN in CI).');
    }
    request.identity = identity;
    if (identity.scope) await checkScopedRoute(db, identity.scope, identity.orgId, request.method, route, request.params);
    if (!route.includes(':orgId')) return;
    const orgId = (request.params as { orgId?: string }).orgId ?? '';
    if (identity.orgId !== undefined && identity.orgId !== orgId) throw orgNotFound(orgId);
    let role = identity.role;
    if (role === undefined) {
      const m = await membershipRole(db, orgId, identity.userId);
      if (!m) throw orgNotFound(orgId);
      role = m;
    } else if (identity.orgId === undefined) {
      throw orgNotFound(orgId); // a credential with its own role is always bound to one org
    }
    const auth: RequestAuth = { orgId, userId: identity.userId, role, actor: identity.actor, ...(identity.scope ? { scope: identity.scope } : {}) };
    request.auth = auth;
  });
}
