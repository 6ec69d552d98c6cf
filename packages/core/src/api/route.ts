/**
 * The engine's API contract: every route is declared once here (method, path, lowest role,
 * request schemas, reply schema) and used by the engine to validate and serialise, and by the
 * CLI and the dashboard for their types. Import it from `@hangar/core/api` (it loads zod; the CLI
 * imports types only, so its start-up does not pay for zod).
 *
 * Adding a route (see platform.ts, providers.ts for many):
 *
 *   // packages/core/src/api/<feature>.ts
 *   export const createThing = defineRoute({
 *     method: 'POST', path: '/api/v1/orgs/:orgId/things', access: 'admin', summary: 'Create a thing',
 *     params: z.object({ orgId: z.string().min(1) }), status: 201,
 *     body: z.object({ name: z.string().min(1) }).strict(),
 *     reply: z.object({ thing: thing, warning: z.string().optional() }),
 *   });
 *   // packages/core/src/api/index.ts, on the line after `// @contract:<feature>`:
 *   export * from './<feature>.js';
 *   // engine: the role is checked from `access` before validation; params/query/body arrive
 *   // validated and typed; the returned object is serialised through `reply` (undeclared fields
 *   // are dropped); `status(200)` answers another success status than the declared one.
 *   registerRoute(app, createThing, async ({ request, params, body, status }) => {
 *     const auth = requireRole(request, 'admin');
 *     return { thing: await things.create(auth.orgId, body.name) };
 *   });
 *   // CLI / dashboard (types only):
 *   import type { createThing } from '@hangar/core/api';
 *   const r = await client.call<typeof createThing>('POST', '/api/v1/orgs/:orgId/things', { params: { orgId }, body: { name } });
 *
 * A reply or body change then shows up in the generated "Reply shapes" of docs/api.md
 * (`HANGAR_WRITE_API_DOCS=1 node scripts/test.mjs api-docs` rewrites it; the test fails until then).
 */
import type { z } from 'zod';

export type ApiRole = 'viewer' | 'deployer' | 'admin' | 'owner';
/** `public`: no credential; `any`: any valid credential (token or session), no org role checked. */
export type RouteAccess = ApiRole | 'public' | 'any';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiRoute {
  readonly method: HttpMethod;
  /** Fastify path syntax, e.g. `/api/v1/orgs/:orgId/tokens/:tokenId`. */
  readonly path: string;
  /** Lowest role that may call it (docs/api.md shows the same). */
  readonly access: RouteAccess;
  readonly summary: string;
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  /** Success status (default 200). */
  readonly status?: number;
  /** Reply body schema for the success status; omit for 204 / streams. */
  readonly reply?: z.ZodType;
}

/** Declare a route; the literal types are kept so clients can infer bodies and replies. */
export function defineRoute<const R extends ApiRoute>(route: R): R {
  return route;
}

/** The reply body type of a route (what a client gets back). */
export type ReplyOf<R extends ApiRoute> = R['reply'] extends z.ZodType ? z.output<R['reply']> : void;
/** The request body type of a route (what a client sends). */
export type BodyOf<R extends ApiRoute> = R['body'] extends z.ZodType ? z.input<R['body']> : undefined;
/** The query type of a route. */
export type QueryOf<R extends ApiRoute> = R['query'] extends z.ZodType ? z.input<R['query']> : undefined;
/** `T` with every array and object read-only (what a handler may return, what a client may send). */
export type DeepReadonly<T> = T extends (infer E)[] ? readonly DeepReadonly<E>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;
/** What a client sends to a route: its path parameters, query and body, typed by the contract. */
export type CallInput<R extends ApiRoute> =
  & (ParamsOf<R> extends undefined ? { readonly params?: undefined } : { readonly params: ParamsOf<R> })
  & (QueryOf<R> extends undefined ? { readonly query?: undefined } : { readonly query?: QueryOf<R> })
  & (BodyOf<R> extends undefined ? { readonly body?: undefined } : { readonly body: DeepReadonly<BodyOf<R>> });
/** The path parameters of a route (`{ orgId, id }` for `/api/v1/orgs/:orgId/providers/:id`). */
export type ParamsOf<R extends ApiRoute> = R['params'] extends z.ZodType ? z.input<R['params']> : undefined;
