/**
 * Register a route from the API contract (`@hangar/core/api`): the caller's role is checked
 * against the route's declared `access` first (so a too-low role gets 403 before its body is
 * looked at, and docs/api.md, the contract and the engine agree), then its params, query and body
 * are validated at the edge with the contract's schemas, and the handler's return value is
 * serialised through the contract's reply schema (fields the contract does not declare are not
 * sent). Every route goes through here.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { ApiRoute, DeepReadonly } from '@hangar/core/api';
import { requireRole } from './guard.js';
import { parse } from './validate.js';

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

export function registerRoute<R extends ApiRoute>(
  app: FastifyInstance,
  route: R,
  handler: (input: RouteInput<R>) => Promise<Reply<R>>,
  options: { bodyLimit?: number } = {},
): void {
  const access = route.access;
  app.route({
    method: route.method,
    url: route.path,
    ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
    ...(access === 'public' ? { config: { public: true } } : {}),
    ...(access === 'public' || access === 'any' ? {} : { preValidation: async (request: FastifyRequest) => { requireRole(request, access); } }),
    handler: async (request, reply) => {
      const params = (route.params ? parse(route.params, request.params, 'params') : undefined) as Out<R['params']>;
      const query = (route.query ? parse(route.query, request.query ?? {}, 'query') : undefined) as Out<R['query']>;
      const body = (route.body ? parse(route.body, request.body ?? {}, 'body') : undefined) as Out<R['body']>;
      let status = route.status ?? 200;
      const result = await handler({ params, query, body, request, reply, status: (code) => { status = code; } });
      if (reply.sent || reply.raw.headersSent) return reply;
      reply.status(status);
      if (route.reply === undefined) return reply.send();
      return reply.send(route.reply.parse(result));
    },
  });
}
