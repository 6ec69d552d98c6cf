/**
 * Register a route from the API contract (`@hangar/core/api`). Every route goes through here:
 *
 * - the caller's role is checked against the route's declared `access` first (a preValidation
 *   hook), so a too-low role gets 403 before its body is looked at, and docs/api.md, the contract
 *   and the engine agree;
 * - params, query and body are validated by Fastify with the contract's zod schemas (the zod type
 *   provider's validator compiler); a failure becomes `400 VALIDATION_FAILED` naming each field by
 *   its dotted path: `body.roleArn: expected an IAM role ARN like …`;
 * - the handler's return value is serialised through the contract's reply schema (the type
 *   provider's serializer compiler): fields the contract does not declare are never sent, and a
 *   reply that breaks the contract is a 500 (logged with the request id), not a silent drift.
 *
 * The compilers are set on each route, not on the app, so other routes (static files, plugins)
 * are untouched.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema, FastifySchemaCompiler } from 'fastify';
import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiRoute, DeepReadonly } from '@hangar/core/api';
import { HangarError } from '@hangar/core';
import { requireRole } from './guard.js';
import { timeSlice } from '../time-slice.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set for `access: 'public'` routes: the auth hook lets callers without credentials through. */
    public?: boolean;
  }
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteInput<R extends ApiRoute> {
  readonly params: Out<R['params']>;
  readonly query: Out<R['query']>;
  readonly body: Out<R['body']>;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  /** Answer with another success status than the route's declared one (e.g. 200 for "already there"). */
  readonly status: (code: number) => void;
}

/** What a handler may return: the reply schema's input, with read-only arrays and objects accepted. */
type Reply<R extends ApiRoute> = R['reply'] extends z.ZodType ? DeepReadonly<z.input<R['reply']>> : void;

// The route's schema parts are zod schemas (what the compilers expect); Fastify types them as its generic FastifySchema.
const zodValidator: FastifySchemaCompiler<FastifySchema> = (def) => validatorCompiler({ ...def, schema: def.schema as z.ZodType });
const zodSerializer: FastifySerializerCompiler<FastifySchema> = (def) => serializerCompiler({ ...def, schema: def.schema as z.ZodType });

interface ValidationIssue { readonly instancePath?: string; readonly message?: string }

/** `body` + `/roleArn` + message → `body.roleArn: message` (the engine's wording since before the type provider). */
function validationError(issues: readonly ValidationIssue[], where: string): Error {
  const problems = issues.map((i) => `${[where, ...(i.instancePath ?? '').split('/').filter(Boolean)].join('.')}: ${i.message ?? 'invalid'}`);
  return new HangarError('VALIDATION_FAILED', problems.join('; '), { details: { issues: problems } });
}

/**
 * A body whose long lists are checked a slice at a time: Fastify validates `envelope` (the
 * contract's body with those lists taken as they come), then each list that `lists` names has its
 * items parsed with `item`, SLICE_ITEMS at a time, the event loop let through between slices. The
 * handler gets the same value and the same errors (`body.entries.12.sha256: …`) as with the
 * contract's schema, without one long stop for a list of 12,000 (70-200 ms, most of it the first
 * run of the schema's code: 500 items then took 28 ms, hence slices of 100, as many a turn as fit).
 */
export interface SlicedBody {
  readonly envelope: z.ZodType;
  readonly item: z.ZodType;
  readonly lists: (body: unknown) => ReadonlyArray<{ readonly field: string; readonly items: unknown[] }>;
}
const SLICE_ITEMS = 100;
/** At most this many problems are reported for one body (a broken client may send thousands). */
const MAX_ISSUES = 20;

async function checkSlicedBody(sliced: SlicedBody, body: unknown): Promise<void> {
  const list = z.array(sliced.item);
  const issues: ValidationIssue[] = [];
  const slice = timeSlice();
  const lists = sliced.lists(body);
  // A long list takes a turn first: the body was parsed in this same turn (JSON.parse of a large
  // manifest and the collection it sets off are tens of ms already), and the schema's first slices
  // run cold. A short one (a one-file delta) is checked at once.
  if (lists.some((l) => l.items.length > SLICE_ITEMS)) await slice.next();
  for (const { field, items } of lists) {
    for (let at = 0; at < items.length && issues.length < MAX_ISSUES; at += SLICE_ITEMS) {
      if (slice.due()) await slice.next();
      const r = list.safeParse(items.slice(at, at + SLICE_ITEMS));
      if (r.success) {
        for (let i = 0; i < r.data.length; i++) items[at + i] = r.data[i];
        continue;
      }
      for (const issue of r.error.issues) {
        const [index, ...rest] = issue.path;
        issues.push({ instancePath: `/${[field, at + Number(index), ...rest].map(String).join('/')}`, message: issue.message });
      }
    }
  }
  if (issues.length > 0) throw validationError(issues.slice(0, MAX_ISSUES), 'body');
}

export function registerRoute<R extends ApiRoute>(
  app: FastifyInstance,
  route: R,
  handler: (input: RouteInput<R>) => Promise<Reply<R>>,
  options: { bodyLimit?: number; slicedBody?: SlicedBody } = {},
): void {
  const access = route.access;
  const status = route.status ?? 200;
  const schema: FastifySchema = {
    ...(route.params ? { params: route.params } : {}),
    ...(route.query ? { querystring: route.query } : {}),
    // A JSON route called with no body is checked as `{}`, so "all optional" bodies may be left out.
    ...(route.body ? { body: z.preprocess((v) => v ?? {}, options.slicedBody?.envelope ?? route.body) } : {}),
    ...(route.reply ? { response: { [status]: route.reply, ...(status === 201 ? { 200: route.reply } : {}) } } : {}),
  };
  // The handler's types come from the same schemas through RouteInput / Reply (what the type
  // provider's inference would give), so the route is registered on the plain instance.
  app.route({
    method: route.method,
    url: route.path,
    schema,
    validatorCompiler: zodValidator,
    serializerCompiler: zodSerializer,
    schemaErrorFormatter: (errors, where) => validationError(errors, where === 'querystring' ? 'query' : where),
    ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
    ...(access === 'public' ? { config: { public: true } } : {}),
    ...(access === 'public' || access === 'any' ? {} : { preValidation: async (request: FastifyRequest) => { requireRole(request, access); } }),
    handler: async (request, reply) => {
      if (options.slicedBody) await checkSlicedBody(options.slicedBody, request.body);
      let code = status;
      const result = await handler({
        params: request.params as Out<R['params']>,
        query: request.query as Out<R['query']>,
        body: (route.body ? request.body : undefined) as Out<R['body']>,
        request, reply, status: (c) => { code = c; },
      });
      if (reply.sent || reply.raw.headersSent) return reply;
      reply.status(code);
      return route.reply === undefined ? reply.send() : reply.send(result);
    },
  });
}
