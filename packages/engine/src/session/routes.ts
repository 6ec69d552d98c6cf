/** POST/GET/DELETE /api/v1/session: the dashboard signs in with an API token and gets a cookie. */
import type { FastifyInstance } from 'fastify';
import { HangarError } from '@hangar/core';
import { getSession, signIn, signOut } from '@hangar/core/api';
import type { CoreDeps } from '../types.js';
import { registerRoute } from '../http/route.js';
import { sessionSecretOf, type SessionAuthenticator } from './auth.js';
import { clearedSessionCookie, csrfTokenFor, sessionCookie } from './secrets.js';
import type { SessionStore } from './store.js';

export const SESSION_ROUTE = signIn.path;

export function registerSessionRoutes(app: FastifyInstance, deps: CoreDeps, store: SessionStore, auth: SessionAuthenticator): void {
  const secure = deps.config.publicUrl.startsWith('https:');
  const noStore = { 'cache-control': 'no-store' };

  registerRoute(app, signIn, async ({ request, reply, body: { token } }) => {
    // Sign-in carries no CSRF token yet; a cross-site form still cannot post JSON, and Origin must match.
    const origin = request.headers.origin;
    if (origin && origin !== 'null') {
      let host: string | undefined;
      try { host = new URL(origin).host; } catch { host = undefined; }
      if (host !== request.headers.host) throw new HangarError('AUTH_CSRF', `Refused a sign-in requested from another site (${origin}).`);
    }
    // Signed in already (same user): the token's org joins this session rather than starting another.
    const current = sessionSecretOf(request);
    const { secret, identity, tokenId, tokenOrgId } = await store.create(token, current);
    const added = secret === current;
    await deps.audit.append({ orgId: tokenOrgId, kind: added ? 'session.org_added' : 'session.created', actor: identity.actor.name, subject: `session:${identity.sessionId}`, data: { tokenId, expiresAt: identity.expiresAt } });
    const maxAge = (Date.parse(identity.expiresAt) - deps.clock.now().getTime()) / 1000;
    reply.header('set-cookie', sessionCookie(secret, { maxAgeSeconds: maxAge, secure })).headers(noStore);
    return { ...(await store.describe(identity)), csrfToken: csrfTokenFor(secret) };
  });

  registerRoute(app, getSession, async ({ request, reply }) => {
    const secret = sessionSecretOf(request);
    const identity = secret ? await store.find(secret) : undefined;
    if (!secret || !identity) throw new HangarError('AUTH_REQUIRED', 'You are not signed in, or your session has ended. Sign in with an API token.');
    reply.headers(noStore);
    return { ...(await store.describe(identity)), csrfToken: csrfTokenFor(secret) };
  });

  registerRoute(app, signOut, async ({ request, reply }) => {
    const secret = sessionSecretOf(request);
    if (secret) {
      await auth.identifySession(request); // a live session must show its CSRF token to end
      await store.remove(secret);
    }
    reply.header('set-cookie', clearedSessionCookie(secure)).headers(noStore);
  });
}
