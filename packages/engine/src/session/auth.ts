/** Authenticating a dashboard request by its session cookie, with the CSRF check for changes. */
import type { FastifyRequest } from 'fastify';
import { HangarError } from '@hangar/core';
import type { RequestAuth } from '../types.js';
import { csrfTokenFor, readCookie, sameToken, SESSION_COOKIE } from './secrets.js';
import type { SessionIdentity, SessionStore } from './store.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function sessionSecretOf(request: FastifyRequest): string | undefined {
  const v = readCookie(request.headers.cookie, SESSION_COOKIE);
  return v ? v : undefined;
}

/** Refuse a state-changing cookie request without the session's CSRF token (or from another origin). */
export function checkCsrf(request: FastifyRequest, secret: string): void {
  if (SAFE_METHODS.has(request.method)) return;
  const origin = request.headers.origin;
  if (origin && origin !== 'null') {
    let host: string | undefined;
    try { host = new URL(origin).host; } catch { host = undefined; }
    if (host !== request.headers.host) throw new HangarError('AUTH_CSRF', `Refused a change requested from another site (${origin}). Use the dashboard itself.`);
  }
  const sent = request.headers['x-csrf-token'];
  if (typeof sent !== 'string' || !sameToken(sent, csrfTokenFor(secret))) {
    throw new HangarError('AUTH_CSRF', 'This change came without the dashboard\'s CSRF token (or with a wrong one), so it was refused. Reload the page and try again.');
  }
}

export interface SessionAuthenticator {
  /**
   * The session behind this request's cookie, or undefined (no cookie, unknown, expired, or its
   * token revoked). Requests with an Authorization header are left to the Bearer-token path.
   * Throws AUTH_CSRF for a state-changing request without the session's CSRF token.
   */
  identifySession(request: FastifyRequest): Promise<SessionIdentity | undefined>;
  /**
   * The RequestAuth for an org-scoped route (`:orgId` in its params), or undefined when there is
   * no live session. An org the session was not signed in to (or the user is not a member of)
   * gets NOT_FOUND, as with tokens.
   */
  authenticateSession(request: FastifyRequest): Promise<RequestAuth | undefined>;
}

export function createSessionAuthenticator(store: SessionStore): SessionAuthenticator {
  async function identifySession(request: FastifyRequest): Promise<SessionIdentity | undefined> {
    if (request.headers.authorization) return undefined;
    const secret = sessionSecretOf(request);
    if (!secret) return undefined;
    const identity = await store.find(secret);
    if (!identity) return undefined;
    checkCsrf(request, secret);
    return identity;
  }
  return {
    identifySession,
    async authenticateSession(request) {
      const identity = await identifySession(request);
      if (!identity) return undefined;
      const orgId = (request.params as { orgId?: unknown } | undefined)?.orgId;
      if (typeof orgId !== 'string') return undefined;
      const role = identity.orgIds.includes(orgId) ? await store.roleIn(identity.userId, orgId) : undefined;
      if (!role) throw new HangarError('NOT_FOUND', `Organisation "${orgId}" was not found.`);
      return { orgId, userId: identity.userId, role, actor: identity.actor };
    },
  };
}
