/** HTTP routes for providers, their links and verification, plus the OIDC issuer's public documents. */
import type { FastifyInstance } from 'fastify';
import { HangarError } from '@hangar/core';
import {
  createProvider, deleteProvider, getProvider, linkProvider, listProviders, oidcDiscovery, oidcJwks, unlinkProvider, updateProvider, verifyProviderRoute,
} from '@hangar/core/api';
import { requireRole } from '../http/guard.js';
import { registerRoute } from '../http/route.js';
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


export function registerProviderRoutes(app: FastifyInstance, deps: CoreDeps & { repo: Repo; oidc: OidcIssuer; enginePrincipal: () => Promise<string> }): void {
  const { repo, audit, clock, config } = deps;
  const now = () => clock.now().toISOString();

  async function load(orgId: string, idOrName: string): Promise<ProviderRow> {
    const p = await repo.find(orgId, idOrName);
    if (!p) throw new HangarError('NOT_FOUND', `Provider "${idOrName}" was not found in this organisation; \`hangar providers list\` shows the ones that exist.`);
    return p;
  }
  async function view(p: ProviderRow) {
    const links = await repo.linksOf(p.org_id, p.id);
    const names = await repo.appNames(p.org_id, links.flatMap((l) => (l.app_id ? [l.app_id] : [])));
    return providerView(p, links.map((l) => linkView(l, names)));
  }
  async function viewWithSetup(p: ProviderRow) {
    return { ...(await view(p)), setup: setupView(p, { enginePrincipal: await deps.enginePrincipal(), oidc: deps.oidc.facts, endpoint: config.aws.endpoint }) };
  }
  async function assertNameFree(orgId: string, n: string) {
    if (await repo.find(orgId, n)) throw new HangarError('CONFLICT', `A provider named "${n}" already exists in this organisation; choose another name (\`hangar providers list\` shows the ones in use).`);
  }

  registerRoute(app, createProvider, async ({ request: req, body }) => {
    const auth = requireRole(req, 'admin');
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
    return { ...(await viewWithSetup(row)), ...(issuer ? { warnings: [issuer.message] } : {}) };
  });

  registerRoute(app, listProviders, async ({ request: req }) => {
    const auth = requireRole(req, 'viewer');
    const rows = await repo.list(auth.orgId);
    return { providers: await Promise.all(rows.map((r) => view(r))) };
  });

  registerRoute(app, getProvider, async ({ request: req, params }) => {
    const auth = requireRole(req, 'viewer');
    return viewWithSetup(await load(auth.orgId, params.id));
  });

  registerRoute(app, updateProvider, async ({ request: req, params, body }) => {
    const auth = requireRole(req, 'admin');
    const p = await load(auth.orgId, params.id);
    if (body.name && body.name !== p.name) await assertNameFree(auth.orgId, body.name);
    // Only real changes count: each is audited with its old and new value, and any change to what
    // verify proved (role, account, region, session duration) sets the provider back to pending.
    const before: Record<string, string | number | null> = { name: p.name, roleArn: p.role_arn, region: p.region, accountId: p.account_id, sessionDurationSeconds: p.session_duration_seconds };
    const changes: Record<string, { from: string | number | null; to: string | number }> = {};
    for (const [k, v] of Object.entries(body)) {
      if (v !== undefined && v !== before[k]) changes[k] = { from: before[k] ?? null, to: v };
    }
    const changed = Object.keys(changes);
    if (changed.length === 0) return viewWithSetup(p);
    const patch: Partial<ProviderRow> = { updated_at: now() };
    if (changes.name) patch.name = body.name!;
    if (changes.region) patch.region = body.region!;
    if (changes.sessionDurationSeconds) patch.session_duration_seconds = body.sessionDurationSeconds!;
    if (changes.accountId) patch.account_id = body.accountId!;
    if (changes.roleArn) {
      patch.role_arn = body.roleArn!;
      if (body.accountId === undefined && p.account_id === null) patch.account_id = roleArnAccount(body.roleArn!)!;
    }
    if (changed.some((k) => k !== 'name')) patch.status = 'pending'; // what verify proved no longer holds
    await repo.update(auth.orgId, p.id, patch);
    await audit.append({ orgId: auth.orgId, kind: 'provider.updated', actor: auth.actor.name, subject: `provider:${p.id}`,
      data: { providerId: p.id, changed, changes, roleArn: patch.role_arn ?? p.role_arn, status: patch.status ?? p.status } });
    return viewWithSetup((await repo.find(auth.orgId, p.id))!);
  });

  registerRoute(app, verifyProviderRoute, async ({ request: req, params, body }) => {
    const auth = requireRole(req, 'admin');
    let p = await load(auth.orgId, params.id);
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
    return { status: result.status, ...(result.code ? { code: result.code, message: result.message } : {}), checks: result.checks, provider: await view((await repo.find(auth.orgId, p.id))!) };
  });

  registerRoute(app, linkProvider, async ({ request: req, params, body, status }) => {
    const auth = requireRole(req, 'admin');
    const p = await load(auth.orgId, params.id);
    const warning: { warning?: string } = p.status === 'verified' ? {} : {
      warning: `Provider "${p.name}" has not passed verify (status ${p.status}): deployments that use this link are refused (PROVIDER_NOT_VERIFIED) until \`hangar providers verify ${p.name}\` succeeds.`,
    };
    let appId: string | null = null;
    let instanceId: string | null = null;
    if (body.scope === 'app' || body.scope === 'app-stage') appId = (await repo.ensureApp(auth.orgId, body.app!)).id;
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
      if (existing.provider_id === p.id) {
        status(200);
        return { link: linkView(existing, names), ...warning };
      }
      const other = await repo.find(auth.orgId, existing.provider_id);
      throw new HangarError('CONFLICT', `Provider "${other?.name ?? existing.provider_id}" is already linked at this scope (${key}). Unlink it first: \`hangar providers unlink ${other?.name ?? existing.provider_id} ${existing.id}\`.`);
    }
    const link = { id: newId('pln'), org_id: auth.orgId, provider_id: p.id, scope: body.scope as LinkScope, scope_key: key, app_id: appId, stage, instance_id: instanceId, created_at: now(), created_by: auth.actor.name };
    await repo.insertLink(link);
    await audit.append({ orgId: auth.orgId, kind: 'provider.linked', actor: auth.actor.name, subject: `provider:${p.id}`,
      data: { providerId: p.id, linkId: link.id, scope: link.scope, appId, stage, instanceId } });
    return { link: linkView(link, names), ...warning };
  });

  registerRoute(app, unlinkProvider, async ({ request: req, params }) => {
    const auth = requireRole(req, 'admin');
    const p = await load(auth.orgId, params.id);
    const n = await repo.removeLink(auth.orgId, p.id, params.linkId);
    if (n === 0) throw new HangarError('NOT_FOUND', `Provider "${p.name}" has no link "${params.linkId}"; \`hangar providers list\` shows its links.`);
    await audit.append({ orgId: auth.orgId, kind: 'provider.unlinked', actor: auth.actor.name, subject: `provider:${p.id}`, data: { providerId: p.id, linkId: params.linkId } });
  });

  registerRoute(app, deleteProvider, async ({ request: req, params }) => {
    const auth = requireRole(req, 'admin');
    const p = await load(auth.orgId, params.id);
    const links = await repo.linksOf(auth.orgId, p.id);
    await repo.remove(auth.orgId, p.id);
    await audit.append({ orgId: auth.orgId, kind: 'provider.deleted', actor: auth.actor.name, subject: `provider:${p.id}`,
      data: { providerId: p.id, name: p.name, roleArn: p.role_arn, removedLinks: links.map((l) => l.scope_key) } });
  });

  registerRoute(app, oidcDiscovery, async () => deps.oidc.discovery() as { issuer: string; jwks_uri: string });
  registerRoute(app, oidcJwks, async () => deps.oidc.jwks());
}
