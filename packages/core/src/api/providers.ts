/** Providers (IAM roles the engine assumes), their links and verification; the OIDC issuer's documents. */
import { z } from 'zod';
import { defineRoute } from './route.js';
import { jsonObject, orgParams } from './common.js';

/** The account id of an IAM role ARN, or undefined when it is not one. */
export function roleArnAccountOf(roleArn: string): string | undefined {
  return /^arn:aws[\w-]*:iam::(\d{12}):role\/[\w+=,.@/-]+$/.exec(roleArn)?.[1];
}

const name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected 1-63 lowercase letters, digits or dashes, starting with a letter or digit');
const roleArn = z.string().refine((v) => roleArnAccountOf(v) !== undefined, 'expected an IAM role ARN like arn:aws:iam::123456789012:role/hangar-deployer');
const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'expected an AWS region like eu-west-1');
const accountId = z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account id');
const duration = z.number().int().min(900, 'expected at least 900 seconds').max(43200, 'expected at most 43200 seconds');
const label = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'expected letters, digits, "-" or "_" (at most 64)');

export const providerStatus = z.enum(['pending', 'verified', 'failed']);
export const verifyCheck = z.object({
  id: z.enum(['assume-with-external-id', 'refused-without-external-id', 'refused-with-wrong-external-id', 'session-tags-and-source-identity',
    'web-identity-assume', 'web-identity-refused-for-other-org', 'caller-identity-account']),
  title: z.string(), passed: z.boolean(), detail: z.string(), fix: z.string().nullable(), code: z.string().optional(),
});
export const verification = z.object({
  status: z.enum(['verified', 'failed']), code: z.string().optional(), message: z.string().optional(),
  roleArn: z.string(), at: z.string(), checks: z.array(verifyCheck),
});
export const providerLink = z.object({
  id: z.string(), scope: z.enum(['org', 'app', 'app-stage', 'instance']), appId: z.string().nullable(), app: z.string().nullable(),
  stage: z.string().nullable(), instanceId: z.string().nullable(), createdAt: z.string(),
});
export const providerSetup = z.object({
  externalId: z.string(),
  /** The engine's own IAM ARN (from STS GetCallerIdentity). */
  enginePrincipal: z.string(),
  trustPolicy: z.object({ Version: z.string(), Statement: z.array(z.unknown()) }),
  cloudFormationTemplate: z.string(),
  consoleUrl: z.string().nullable(),
  oidc: z.object({ issuer: z.string(), audience: z.string(), subjectPattern: z.string(), providerArn: z.string() }).optional(),
});
export const provider = z.object({
  id: z.string(), name: z.string(), mode: z.enum(['assume-role', 'web-identity']), roleArn: z.string().nullable(), accountId: z.string().nullable(),
  region: z.string(), sessionDurationSeconds: z.number(), externalId: z.string(), status: providerStatus,
  lastVerification: verification.nullable(), links: z.array(providerLink), createdAt: z.string(), createdBy: z.string(), updatedAt: z.string(),
});
export const providerWithSetup = provider.extend({ setup: providerSetup });

export type ProviderStatus = z.output<typeof providerStatus>;
export type VerifyCheck = z.output<typeof verifyCheck>;
export type Verification = z.output<typeof verification>;
export type ProviderLink = z.output<typeof providerLink>;
export type ProviderSetup = z.output<typeof providerSetup>;
export type Provider = z.output<typeof provider>;
export type ProviderWithSetup = z.output<typeof providerWithSetup>;

const base = '/api/v1/orgs/:orgId/providers';
const providerParams = z.object({ orgId: z.string().min(1), id: z.string().min(1).max(100) });
const linkParams = providerParams.extend({ linkId: z.string().min(1).max(100) });

// .strict(): an externalId (or anything else unknown) in a body is refused, never silently ignored.
export const createProvider = defineRoute({
  method: 'POST', path: base, access: 'admin', summary: 'Register a provider; the answer has its setup (trust policy, template)',
  params: orgParams, status: 201,
  body: z.object({
    name, mode: z.enum(['assume-role', 'web-identity']).default('assume-role'), region: region.optional(),
    roleArn: roleArn.optional(), accountId: accountId.optional(), sessionDurationSeconds: duration.default(900),
  }).strict(),
  // warnings: e.g. a web-identity issuer that real AWS could not reach (refused outright on real AWS).
  reply: providerWithSetup.extend({ warnings: z.array(z.string()).optional() }),
});
export const listProviders = defineRoute({
  method: 'GET', path: base, access: 'viewer', summary: 'The org\'s providers (no setup)',
  params: orgParams, reply: z.object({ providers: z.array(provider) }),
});
export const getProvider = defineRoute({
  method: 'GET', path: `${base}/:id`, access: 'viewer', summary: 'One provider (by id or name), with its setup',
  params: providerParams, reply: providerWithSetup,
});
export const updateProvider = defineRoute({
  method: 'PATCH', path: `${base}/:id`, access: 'admin', summary: 'Change a provider; a changed role, account, region or duration resets it to pending',
  params: providerParams,
  body: z.object({ name: name.optional(), roleArn: roleArn.optional(), region: region.optional(), accountId: accountId.optional(), sessionDurationSeconds: duration.optional() }).strict(),
  reply: providerWithSetup,
});
export const verifyProviderRoute = defineRoute({
  method: 'POST', path: `${base}/:id/verify`, access: 'admin', summary: 'Prove the role is assumable only with the external id (answers 200 either way)',
  params: providerParams,
  body: z.object({ roleArn: roleArn.optional() }).strict(),
  reply: z.object({ status: z.enum(['verified', 'failed']), code: z.string().optional(), message: z.string().optional(), checks: z.array(verifyCheck), provider }),
});
export const linkProvider = defineRoute({
  method: 'POST', path: `${base}/:id/links`, access: 'admin', summary: 'Link a provider to the org, an app, an app+stage or an instance',
  params: providerParams, status: 201,
  body: z.object({
    scope: z.enum(['org', 'app', 'app-stage', 'instance']), app: label.optional(), stage: label.optional(), instanceId: z.string().min(1).max(100).optional(),
  }).strict().superRefine((b, ctx) => {
    const need: readonly string[] = { org: [], app: ['app'], 'app-stage': ['app', 'stage'], instance: ['instanceId'] }[b.scope];
    for (const k of ['app', 'stage', 'instanceId'] as const) {
      if (need.includes(k) && b[k] === undefined) ctx.addIssue({ code: 'custom', path: [k], message: `required for scope "${b.scope}"` });
      if (!need.includes(k) && b[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: `not allowed for scope "${b.scope}"` });
    }
  }),
  /** `warning`: set while the provider has not passed verify (deployments through this link are refused until it does). */
  reply: z.object({ link: providerLink, warning: z.string().optional() }),
});
export const unlinkProvider = defineRoute({
  method: 'DELETE', path: `${base}/:id/links/:linkId`, access: 'admin', summary: 'Remove a link',
  params: linkParams, status: 204,
});
export const deleteProvider = defineRoute({
  method: 'DELETE', path: `${base}/:id`, access: 'admin', summary: 'Delete a provider and its links',
  params: providerParams, status: 204,
});
export const oidcDiscovery = defineRoute({
  method: 'GET', path: '/.well-known/openid-configuration', access: 'public', summary: 'The engine\'s OIDC discovery document',
  reply: z.object({ issuer: z.string(), jwks_uri: z.string() }).catchall(z.unknown()),
});
export const oidcJwks = defineRoute({
  method: 'GET', path: '/.well-known/jwks.json', access: 'public', summary: 'The engine\'s OIDC signing keys (public JWKs)',
  reply: z.object({ keys: z.array(jsonObject) }),
});
