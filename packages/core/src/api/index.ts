/**
 * `@hangar/core/api`: the engine's API contract (routes, request and reply schemas, SSE events).
 * One file per feature; each exports its routes with `defineRoute`.
 */
export { defineRoute } from './route.js';
export type { ApiRoute, ApiRole, RouteAccess, HttpMethod, ReplyOf, BodyOf, QueryOf, ParamsOf, DeepReadonly, CallInput } from './route.js';
// feature contracts (one export line per feature file):
// @contract:platform
export * from './platform.js';
// @contract:providers
export * from './providers.js';
// @contract:deployments
export * from './deployments.js';
// @contract:session
export * from './session.js';
// @contract:audit
export * from './audit-checkpoints.js';
export * from './audit.js';
// @contract:invitations
export * from './invitations.js';
// @contract:functions
export * from './functions.js';
// @contract:ci-trust
export * from './ci-trust.js';
// @contract:apps
export * from './apps.js';
