/**
 * CI trusts: an organisation trusts an OIDC issuer (GitHub Actions, GitLab, …) for tokens with a
 * given audience, subject and claims, and exchanges each such token for a short-lived Hangar token
 * (`hgc_…`, at most 15 minutes) that may only deploy one app and stage.
 */
import { z } from 'zod';
import { defineRoute } from './route.js';

const orgParams = z.object({ orgId: z.string().min(1) });
const trustParams = z.object({ orgId: z.string().min(1), trustId: z.string().min(1).max(100) });
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'expected letters, digits, "-" and "_", 1-64 characters, starting with a letter or digit');
/** A claim pattern: exact, or with `*` matching any run of characters. */
const pattern = z.string().min(1).max(500);

export const ciTrustRoleSchema = z.enum(['deployer', 'viewer'], { error: 'expected deployer or viewer (a CI token can only deploy or read)' });

export const ciTrustSchema = z.object({
  id: z.string(),
  orgId: z.string(),
  name: z.string(),
  issuer: z.string(),
  audience: z.string(),
  subject: z.string(),
  /** Extra claims that must match too, e.g. `{ repository_owner: "acme" }`. */
  claims: z.record(z.string(), z.string()),
  role: ciTrustRoleSchema,
  app: z.string(),
  stage: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
});
export type CiTrust = z.output<typeof ciTrustSchema>;

export const createCiTrustBodySchema = z.object({
  name,
  issuer: z.url({ protocol: /^https?$/, error: 'expected the issuer URL, e.g. https://token.actions.githubusercontent.com' }).max(500),
  audience: z.string().min(1).max(500),
  subject: pattern,
  claims: z.record(z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'expected a claim name'), pattern).default({}),
  role: ciTrustRoleSchema.default('deployer'),
  app: name,
  stage: name,
}).strict();

export const createCiTrustRoute = defineRoute({
  method: 'POST', path: '/api/v1/orgs/:orgId/ci-trusts', access: 'admin',
  summary: 'Trust an OIDC issuer for CI tokens matching audience, subject and claims, to deploy one app and stage.',
  params: orgParams, body: createCiTrustBodySchema, status: 201, reply: z.object({ trust: ciTrustSchema }),
});

export const listCiTrustsRoute = defineRoute({
  method: 'GET', path: '/api/v1/orgs/:orgId/ci-trusts', access: 'admin',
  summary: "The organisation's CI trusts.",
  params: orgParams, reply: z.object({ trusts: z.array(ciTrustSchema) }),
});

export const deleteCiTrustRoute = defineRoute({
  method: 'DELETE', path: '/api/v1/orgs/:orgId/ci-trusts/:trustId', access: 'admin',
  summary: 'Delete a CI trust (by id or name); tokens it issued stop working at once.',
  params: trustParams, status: 204,
});

export const ciExchangeBodySchema = z.object({
  /** The organisation's id (or its name). */
  orgId: z.string().min(1).max(100),
  /** The CI provider's OIDC ID token (a JWT). */
  token: z.string().min(1).max(16_384),
}).strict();

export const ciExchangeReplySchema = z.object({
  token: z.string(),
  expiresAt: z.string(),
  orgId: z.string(),
  app: z.string(),
  stage: z.string(),
  role: ciTrustRoleSchema,
  trust: z.object({ id: z.string(), name: z.string() }),
});
export type CiExchangeReply = z.output<typeof ciExchangeReplySchema>;

export const ciExchangeRoute = defineRoute({
  method: 'POST', path: '/api/v1/ci/exchange', access: 'public',
  summary: "Exchange a CI provider's OIDC ID token for a Hangar token (15 minutes) scoped to one app and stage.",
  body: ciExchangeBodySchema, reply: ciExchangeReplySchema,
});
