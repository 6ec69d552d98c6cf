/**
 * Scoped credentials (CI tokens from `/ci/exchange`): they may only upload source and deploy (or
 * remove) instances of one app and stage, and follow those deployments. Everything else — other
 * apps and stages, providers, tokens, members, CI trusts, the audit log — is refused, whatever
 * role the credential carries. Checked where credentials are authenticated (installAuth) and again
 * by the deployment service against the app and stage in the request body.
 */
import { HangarError } from '@hangar/core';
import type { CredentialScope, Db, RequestAuth } from '../types.js';
import { deploymentAppStage } from '../deployments/apps-repo.js';

/** The only routes a scoped credential may call. */
const ALLOWED = new Set([
  'POST /api/v1/orgs/:orgId/sources',
  'PUT /api/v1/orgs/:orgId/blobs/:sha256',
  'POST /api/v1/orgs/:orgId/blobs',
  'POST /api/v1/orgs/:orgId/deployments',
  'GET /api/v1/orgs/:orgId/deployments/:id',
  'GET /api/v1/orgs/:orgId/deployments/:id/events',
  'GET /api/v1/orgs/:orgId/deployments/:id/logs',
  'GET /api/v1/orgs/:orgId/instances/by-name/:app/:stage/:name',
  // App deployments: the body's app and stage (and those of every reference) are checked by the
  // apps service, an app deployment read by id by its route.
  'POST /api/v1/orgs/:orgId/app-deployments',
  'GET /api/v1/orgs/:orgId/app-deployments/:id',
  'GET /api/v1/orgs/:orgId/app-deployments/:id/events',
]);

function outOfScope(scope: CredentialScope, what: string): HangarError {
  return new HangarError('CI_SCOPE_FORBIDDEN', `This CI token may only deploy app "${scope.app}" stage "${scope.stage}"; ${what}. Use a CI trust for that app and stage, or a member's API token.`, {
    details: { app: scope.app, stage: scope.stage },
  });
}

/**
 * Refuse a route a scoped credential may not call, a path naming another app or stage, or a
 * deployment (read by id) of another app or stage. An unknown deployment id is left to the route (404).
 */
export async function checkScopedRoute(db: Db, scope: CredentialScope, boundOrgId: string | undefined, method: string, route: string, params: unknown): Promise<void> {
  if (!ALLOWED.has(`${method} ${route}`)) throw outOfScope(scope, `${method} ${route} is not allowed`);
  const p = params as { orgId?: string; app?: string; stage?: string; id?: string };
  if (p.app !== undefined || p.stage !== undefined) requireScope({ scope }, p.app ?? '', p.stage ?? '');
  if (route.startsWith('/api/v1/orgs/:orgId/deployments/:id') && p.id !== undefined && p.orgId === boundOrgId) {
    const d = await deploymentAppStage(db, p.orgId ?? '', p.id);
    if (d && (d.app !== scope.app || d.stage !== scope.stage)) throw outOfScope(scope, `deployment ${p.id} is of app "${d.app}" stage "${d.stage}"`);
  }
}

/** For routes that act on an app and stage: refuse a scoped credential for any other. Unscoped credentials pass. */
export function requireScope(auth: Pick<RequestAuth, 'scope'>, app: string, stage: string): void {
  const scope = auth.scope;
  if (!scope) return;
  if (scope.app !== app || scope.stage !== stage) throw outOfScope(scope, `it cannot act on app "${app}" stage "${stage}"`);
}
