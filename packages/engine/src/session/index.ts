/**
 * The dashboard's side of the engine: cookie sessions signed in with an API token, CSRF checks for
 * cookie-authenticated changes, and serving the built single-page app at "/".
 *
 * It plugs into the platform's auth hook through `app.addAuthenticator` (see http/auth.ts): a
 * request without an Authorization header but with a live session cookie is the session's user,
 * in the orgs whose (org-bound) API tokens signed in to the session, with their role there.
 */
import type { FastifyRequest } from 'fastify';
import type { CoreDeps, Feature } from '../types.js';
import type { Identity } from '../http/auth.js';
import { createSessionAuthenticator, type SessionAuthenticator } from './auth.js';
import { registerSessionRoutes, SESSION_ROUTE } from './routes.js';
import { defaultDashboardDir, registerDashboard } from './static.js';
import { createSessionStore } from './store.js';
import { sessionMigrations } from './tables.js';

export type { SessionAuthenticator } from './auth.js';
export type { SessionIdentity, SessionDescription } from './store.js';
export { SESSION_COOKIE } from './secrets.js';

export interface SessionFeatureOptions {
  /** The built dashboard (default: packages/dashboard/dist). */
  readonly dashboardDir?: string;
}

export type SessionFeature = Feature & SessionAuthenticator & {
  /** For the platform's `addAuthenticator`: the session's user as an Identity bound to the org asked for (when the session holds it). */
  authenticator(request: FastifyRequest): Promise<Identity | undefined>;
};

export function createSessionFeature(deps: CoreDeps, options: SessionFeatureOptions = {}): SessionFeature {
  const store = createSessionStore(deps);
  const auth = createSessionAuthenticator(store);
  const authenticator = async (request: FastifyRequest): Promise<Identity | undefined> => {
    // The session routes read the cookie themselves (signing in again must not need a CSRF token).
    if (request.routeOptions.url === SESSION_ROUTE) return undefined;
    const identity = await auth.identifySession(request);
    if (!identity) return undefined;
    // The platform's Identity binds to one org; a session may hold several, so bind to the one asked
    // for when the session holds it, and otherwise to one it does hold (the platform then answers 404).
    const asked = (request.routeOptions.url ?? '').includes(':orgId') ? (request.params as { orgId?: string }).orgId : undefined;
    const orgId = asked !== undefined && identity.orgIds.includes(asked) ? asked : identity.orgIds[0];
    return { userId: identity.userId, actor: identity.actor, ...(orgId ? { orgId } : {}) };
  };
  return {
    name: 'session',
    migrations: sessionMigrations,
    ...auth,
    authenticator,
    async register(app) {
      if (app.hasDecorator('addAuthenticator')) app.addAuthenticator(authenticator);
      registerSessionRoutes(app, deps, store, auth);
      await registerDashboard(app, options.dashboardDir ?? defaultDashboardDir());
    },
  };
}
