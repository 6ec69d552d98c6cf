/** The dashboard's session: sign in with an API token, then an HttpOnly cookie. */
import { z } from 'zod';
import { defineRoute } from './route.js';
import { role } from './common.js';

export const sessionInfo = z.object({
  user: z.object({ id: z.string(), name: z.string(), email: z.string() }),
  orgs: z.array(z.object({ id: z.string(), name: z.string(), role })),
  expiresAt: z.string(),
  csrfToken: z.string(),
});
export type SessionInfo = z.output<typeof sessionInfo>;

export const signIn = defineRoute({
  method: 'POST', path: '/api/v1/session', access: 'public', summary: 'Sign in with an API token (sets the session cookie)',
  body: z.object({ token: z.string().trim().min(1, 'paste an API token').max(512) }),
  reply: sessionInfo,
});
export const getSession = defineRoute({
  method: 'GET', path: '/api/v1/session', access: 'public', summary: 'The live session of the cookie',
  reply: sessionInfo,
});
export const signOut = defineRoute({
  method: 'DELETE', path: '/api/v1/session', access: 'public', summary: 'End the session (clears the cookie)',
  status: 204,
});
