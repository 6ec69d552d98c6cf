/**
 * Register a route from the API contract (`@hangar/core/api`): its params, query and body are
 * validated at the edge with the contract's schemas before the handler runs, and the handler's
 * return type is the contract's reply type. Every new route goes through here.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { ApiRoute } from '@hangar/core/api';
import { parse } from './validate.js';
import { requireRole } from './guard.js';

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteInput<R extends ApiRoute> {
  readonly params: Out<R['params']>;
  readonly query: Out<R['query']>;
  readonly body: Out<R['body']>;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
}

type Reply<R extends ApiRoute> = R['reply'] extends z.ZodType ? z.input<R['reply']> : void;

export function registerRoute<R extends ApiRoute>(
  app: FastifyInstance,
  route: R,
  handler: (input: RouteInput<R>) => Promise<Reply<R>>,
  options: { bodyLimit?: number } = {},
): void {
  app.route({
    method: route.method,
    url: route.path,
    ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
    // A public route answers callers without credentials (see installAuth).
    ...(route.access === 'public' ? { config: { public: true } } : {}),
    handler: async (request, reply) => {
      // The role is checked before the body, so a caller without it learns nothing from validation.
      if (route.access !== 'public' && route.access !== 'any') requireRole(request, route.access);
      const params = (route.params ? parse(route.params, request.params, 'params') : undefined) as Out<R['params']>;
      const query = (route.query ? parse(route.query, request.query, 'query') : undefined) as Out<R['query']>;
      const body = (route.body ? parse(route.body, request.body ?? {}, 'body') : undefined) as Out<R['body']>;
      const result = await handler({ params, query, body, request, reply });
      if (reply.sent) return reply;
      if (route.status !== undefined) reply.status(route.status);
      if (route.reply === undefined) return reply.send();
      return reply.send(route.reply.parse(result));
    },
  });
}
