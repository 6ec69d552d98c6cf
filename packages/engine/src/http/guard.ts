import type { FastifyRequest } from 'fastify';
import { HangarError } from '@hangar/core';
import { roleRank, type RequestAuth, type Role } from '../types.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the platform's auth hook for routes under /api/v1/orgs/:orgId (members only; others get 404). */
    auth?: RequestAuth;
  }
}

/** The caller's auth for this org, if their role is at least `min`. */
export function requireRole(request: FastifyRequest, min: Role): RequestAuth {
  const auth = request.auth;
  if (!auth) throw new HangarError('AUTH_REQUIRED', 'Sign in first: run `hangar login`, or set HANGAR_TOKEN.');
  if (roleRank[auth.role] < roleRank[min]) {
    throw new HangarError('AUTH_FORBIDDEN', `Your role "${auth.role}" cannot do this; it needs "${min}" or above. Ask an owner or admin of the organisation.`);
  }
  return auth;
}
