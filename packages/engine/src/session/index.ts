/**
 * The dashboard's side of the engine: cookie sessions signed in with an API token, CSRF checks for
 * cookie-authenticated changes, and serving the built single-page app at "/".
 *
 * It plugs into the platform's auth hook through `app.addAuthenticator` (see http/auth.ts): a
 * request without an Authorization header but with a live session cookie is the session's user,
 * in every org they belong to, with their membership role there.
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
  /** For the platform's `addAuthenticator`: the session's user as an Identity (not bound to one org). */
  authenticator(request: FastifyRequest): Promise<Identity | undefined>;
};

export function createSessionFeature(deps: CoreDeps, options: SessionFeatureOptions = {}): SessionFeature {
  const store = createSessionStore(deps);
  const auth = createSessionAuthenticator(store);
  const authenticator = async (request: FastifyRequest): Promise<Identity | undefined> => {
    // The session routes read the cookie themselves (signing in again must not need a CSRF token).
    if (request.routeOptions.url === SESSION_ROUTE) return undefined;
    const identity = await auth.identifySession(request);
    return identity && { userId: identity.userId, actor: identity.actor };
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
