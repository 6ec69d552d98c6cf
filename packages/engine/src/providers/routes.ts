/** HTTP routes for providers, their links and verification, plus the OIDC issuer's public documents. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { HangarError } from '@hangar/core';
import { requireRole } from '../http/guard.js';
import { parse } from '../http/validate.js';
import type { CoreDeps } from '../types.js';
import type { OidcIssuer } from './oidc.js';
import type { ProviderRow, Repo } from './repo.js';
import { scopeKey } from './resolve.js';
import { issuerProblem } from './issuer.js';
import { generateExternalId, newId } from './session-params.js';
import { roleArnAccount } from './setup.js';
import type { LinkScope } from './tables.js';
import { verifyProvider } from './verify.js';
import { linkView, providerView, setupView } from './view.js';

const name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected 1-63 lowercase letters, digits or dashes, starting with a letter or digit');
const roleArn = z.string().refine((v) => roleArnAccount(v) !== undefined, 'expected an IAM role ARN like arn:aws:iam::123456789012:role/hangar-deployer');
const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'expected an AWS region like eu-west-1');
const accountId = z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account id');
const duration = z.number().int().min(900, 'expected at least 900 seconds').max(43200, 'expected at most 43200 seconds');
const label = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'expected letters, digits, "-" or "_" (at most 64)');

// .strict(): an externalId (or anything else unknown) in a body is refused, never silently ignored.
const createBody = z.object({
  name, mode: z.enum(['assume-role', 'web-identity']).default('assume-role'), region: region.optional(),
  roleArn: roleArn.optional(), accountId: accountId.optional(), sessionDurationSeconds: duration.default(900),
}).strict();
const patchBody = z.object({ name: name.optional(), roleArn: roleArn.optional(), region: region.optional(), accountId: accountId.optional(), sessionDurationSeconds: duration.optional() }).strict();
const verifyBody = z.object({ roleArn: roleArn.optional() }).strict();
const linkBody = z.object({
  scope: z.enum(['org', 'app', 'app-stage', 'instance']), app: label.optional(), stage: label.optional(), instanceId: z.string().min(1).max(100).optional(),
}).strict().superRefine((b, ctx) => {
  const need: readonly string[] = { org: [], app: ['app'], 'app-stage': ['app', 'stage'], instance: ['instanceId'] }[b.scope];
  for (const k of ['app', 'stage', 'instanceId'] as const) {
    if (need.includes(k) && b[k] === undefined) ctx.addIssue({ code: 'custom', path: [k], message: `required for scope "${b.scope}"` });
    if (!need.includes(k) && b[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: `not allowed for scope "${b.scope}"` });
  }
});

type Params = { orgId: string; id: string; linkId: string };

export function registerProviderRoutes(app: FastifyInstance, deps: CoreDeps & { repo: Repo; oidc: OidcIssuer; enginePrincipal: () => Promise<string> }): void {
  const { repo, audit, clock, config } = deps;
  const base = '/api/v1/orgs/:orgId/providers';
  const now = () => clock.now().toISOString();

  async function load(orgId: string, idOrName: string): Promise<ProviderRow> {
    const p = await repo.find(orgId, idOrName);
    if (!p) throw new HangarError('NOT_FOUND', `Provider "${idOrName}" was not found in this organisation; \`hangar providers list\` shows the ones that exist.`);
    return p;
  }
  async function view(p: ProviderRow, withSetup: boolean) {
    const links = await repo.linksOf(p.org_id, p.id);
    const names = await repo.appNames(p.org_id, links.flatMap((l) => (l.app_id ? [l.app_id] : [])));
    const v = providerView(p, links.map((l) => linkView(l, names)));
    if (!withSetup) return v;
    return { ...v, setup: setupView(p, { enginePrincipal: await deps.enginePrincipal(), oidc: deps.oidc.facts, endpoint: config.aws.endpoint }) };
  }
  async function assertNameFree(orgId: string, n: string) {
    if (await repo.find(orgId, n)) throw new HangarError('CONFLICT', `A provider named "${n}" already exists in this organisation; choose another name (\`hangar providers list\` shows the ones in use).`);
  }

  app.post<{ Params: Params }>(base, async (req, reply) => {
    const auth = requireRole(req, 'admin');
    const body = parse(createBody, req.body ?? {}, 'body');
    await assertNameFree(auth.orgId, body.name);
    const issuer = body.mode === 'web-identity' ? issuerProblem(config.publicUrl, config.aws.endpoint) : undefined;
    if (issuer?.severity === 'error') throw new HangarError('PROVIDER_ISSUER_NOT_PUBLIC', issuer.message);
    if (issuer) deps.logger.warn('web-identity provider with an issuer real AWS cannot reach', { issuer: config.publicUrl, provider: body.name });
    await deps.enginePrincipal(); // fail before storing anything if the engine's own identity is broken
    const t = now();
    const row: ProviderRow = {
      id: newId('prv'), org_id: auth.orgId, name: body.name, mode: body.mode, role_arn: body.roleArn ?? null,
      account_id: body.accountId ?? (body.roleArn ? roleArnAccount(body.roleArn)! : null), region: body.region ?? config.aws.region,
      session_duration_seconds: body.sessionDurationSeconds, external_id: generateExternalId(), status: 'pending',
      last_verification: null, created_at: t, created_by: auth.actor.name, updated_at: t,
    };
    await repo.insert(row);
    await audit.append({ orgId: auth.orgId, kind: 'provider.created', actor: auth.actor.name, subject: `provider:${row.id}`,
      data: { providerId: row.id, name: row.name, mode: row.mode, roleArn: row.role_arn, region: row.region, sessionDurationSeconds: row.session_duration_seconds } });
    return reply.code(201).send({ ...(await view(row, true)), ...(issuer ? { warnings: [issuer.message] } : {}) });
  });

  app.get<{ Params: Params }>(base, async (req) => {
    const auth = requireRole(req, 'viewer');
    const rows = await repo.list(auth.orgId);
    return { providers: await Promise.all(rows.map((r) => view(r, false))) };
  });

  app.get<{ Params: Params }>(`${base}/:id`, async (req) => {
    const auth = requireRole(req, 'viewer');
    return view(await load(auth.orgId, req.params.id), true);
  });

  app.patch<{ Params: Params }>(`${base}/:id`, async (req) => {
    const auth = requireRole(req, 'admin');
    const p = await load(auth.orgId, req.params.id);
    const body = parse(patchBody, req.body ?? {}, 'body');
    if (body.name && body.name !== p.name) await assertNameFree(auth.orgId, body.name);
    const patch: Partial<ProviderRow> = { updated_at: now() };
    if (body.name !== undefined) patch.name = body.name;
    if (body.region !== undefined) patch.region = body.region;
    if (body.sessionDurationSeconds !== undefined) patch.session_duration_seconds = body.sessionDurationSeconds;
    if (body.accountId !== undefined && body.accountId !== p.account_id) {
      patch.account_id = body.accountId;
      patch.status = 'pending'; // the account check must be proven again
    }
    if (body.roleArn !== undefined && body.roleArn !== p.role_arn) {
      patch.role_arn = body.roleArn;
      patch.status = 'pending'; // a new role has proven nothing yet
      if (body.accountId === undefined && p.account_id === null) patch.account_id = roleArnAccount(body.roleArn)!;
    }
    await repo.update(auth.orgId, p.id, patch);
    const changed = Object.keys(body).filter((k) => (body as Record<string, unknown>)[k] !== undefined);
    await audit.append({ orgId: auth.orgId, kind: 'provider.updated', actor: auth.actor.name, subject: `provider:${p.id}`,
      data: { providerId: p.id, changed, roleArn: patch.role_arn ?? p.role_arn, status: patch.status ?? p.status } });
    return view((await repo.find(auth.orgId, p.id))!, true);
  });

  app.post<{ Params: Params }>(`${base}/:id/verify`, async (req) => {
    const auth = requireRole(req, 'admin');
    let p = await load(auth.orgId, req.params.id);
    const body = parse(verifyBody, req.body ?? {}, 'body');
    if (body.roleArn && body.roleArn !== p.role_arn) {
      await repo.update(auth.orgId, p.id, { role_arn: body.roleArn, status: 'pending', updated_at: now(), ...(p.account_id ? {} : { account_id: roleArnAccount(body.roleArn)! }) });
      p = (await repo.find(auth.orgId, p.id))!;
    }
    if (!p.role_arn) {
      throw new HangarError('PROVIDER_ROLE_NOT_SET', `Provider "${p.name}" has no role ARN yet. Create the role with the trust policy Hangar gave for it (printed by \`hangar providers create\`, and on ${config.publicUrl.replace(/\/+$/, '')}/providers), then run \`hangar providers verify ${p.name} --role-arn <arn>\`.`);
    }
    const result = await verifyProvider({ config, oidc: deps.oidc, enginePrincipal: deps.enginePrincipal, now: clock.now }, p as ProviderRow & { role_arn: string });
    await repo.update(auth.orgId, p.id, { status: result.status, last_verification: JSON.stringify(result), updated_at: now() });
    await audit.append({ orgId: auth.orgId, kind: result.status === 'verified' ? 'provider.verified' : 'provider.verification_failed', actor: auth.actor.name,
      subject: `provider:${p.id}`, data: { providerId: p.id, roleArn: p.role_arn, code: result.code ?? null, checks: result.checks.map((c) => ({ id: c.id, passed: c.passed })) } });
    return { status: result.status, ...(result.code ? { code: result.code, message: result.message } : {}), checks: result.checks, provider: await view((await repo.find(auth.orgId, p.id))!, false) };
  });

  app.post<{ Params: Params }>(`${base}/:id/links`, async (req, reply) => {
    const auth = requireRole(req, 'admin');
    const p = await load(auth.orgId, req.params.id);
    const body = parse(linkBody, req.body ?? {}, 'body');
    let appId: string | null = null;
    let instanceId: string | null = null;
    if (body.scope === 'app' || body.scope === 'app-stage') appId = (await repo.ensureApp(auth.orgId, body.app!, now())).id;
    if (body.scope === 'instance') {
      const ins = await repo.instance(auth.orgId, body.instanceId!);
      if (!ins) throw new HangarError('NOT_FOUND', `Instance "${body.instanceId}" was not found in this organisation; \`hangar info\` in the project folder shows its id.`);
      instanceId = ins.id;
    }
    const stage = body.scope === 'app-stage' ? body.stage! : null;
    const key = scopeKey({ scope: body.scope as LinkScope, appId, stage, instanceId });
    const existing = await repo.linkByScope(auth.orgId, key);
    const names = await repo.appNames(auth.orgId, appId ? [appId] : []);
    if (existing) {
      if (existing.provider_id === p.id) return reply.code(200).send({ link: linkView(existing, names) });
      const other = await repo.find(auth.orgId, existing.provider_id);
      throw new HangarError('CONFLICT', `Provider "${other?.name ?? existing.provider_id}" is already linked at this scope (${key}). Unlink it first: \`hangar providers unlink ${other?.name ?? existing.provider_id} ${existing.id}\`.`);
    }
    const link = { id: newId('pln'), org_id: auth.orgId, provider_id: p.id, scope: body.scope as LinkScope, scope_key: key, app_id: appId, stage, instance_id: instanceId, created_at: now(), created_by: auth.actor.name };
    await repo.insertLink(link);
    await audit.append({ orgId: auth.orgId, kind: 'provider.linked', actor: auth.actor.name, subject: `provider:${p.id}`,
      data: { providerId: p.id, linkId: link.id, scope: link.scope, appId, stage, instanceId } });
    return reply.code(201).send({ link: linkView(link, names) });
  });

  app.delete<{ Params: Params }>(`${base}/:id/links/:linkId`, async (req, reply) => {
    const auth = requireRole(req, 'admin');
    const p = await load(auth.orgId, req.params.id);
    const n = await repo.removeLink(auth.orgId, p.id, req.params.linkId);
    if (n === 0) throw new HangarError('NOT_FOUND', `Provider "${p.name}" has no link "${req.params.linkId}"; \`hangar providers list\` shows its links.`);
    await audit.append({ orgId: auth.orgId, kind: 'provider.unlinked', actor: auth.actor.name, subject: `provider:${p.id}`, data: { providerId: p.id, linkId: req.params.linkId } });
    return reply.code(204).send();
  });

  app.delete<{ Params: Params }>(`${base}/:id`, async (req, reply) => {
    const auth = requireRole(req, 'admin');
    const p = await load(auth.orgId, req.params.id);
    const links = await repo.linksOf(auth.orgId, p.id);
    await repo.remove(auth.orgId, p.id);
    await audit.append({ orgId: auth.orgId, kind: 'provider.deleted', actor: auth.actor.name, subject: `provider:${p.id}`,
      data: { providerId: p.id, name: p.name, roleArn: p.role_arn, removedLinks: links.map((l) => l.scope_key) } });
    return reply.code(204).send();
  });

  app.get('/.well-known/openid-configuration', async () => deps.oidc.discovery());
  app.get('/.well-known/jwks.json', async () => deps.oidc.jwks());
}
