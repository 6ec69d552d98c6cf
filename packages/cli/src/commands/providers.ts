/**
 * `hangar providers ...`: register the IAM role the engine assumes (with an external ID the
 * engine generates), prove it is enforced, and link it where it applies.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { HangarError } from '@hangar/core';
import type {
  BodyOf, createProvider, deleteProvider, getProvider, instanceByName, linkProvider, listProviders, ProviderWithSetup, unlinkProvider,
  updateProvider, verifyProviderRoute,
} from '@hangar/core/api';
import type { CommandContext } from '../context.js';
import { createUi, printJson, reportError } from '../output.js';
import { openSession, type Session } from '../session.js';
import { loadProject } from '../project-file.js';

export interface ProviderOptions {
  readonly roleArn?: string | undefined;
  readonly region?: string | undefined;
  readonly accountId?: string | undefined;
  readonly mode?: string | undefined;
  /** `providers create`: write the CloudFormation template to this file (nothing is written otherwise). */
  readonly templateFile?: string | undefined;
  readonly json?: boolean | undefined;
  readonly orgDefault?: boolean | undefined;
  readonly app?: string | undefined;
  readonly stage?: string | undefined;
  readonly instance?: string | boolean | undefined;
}

const BASE = '/api/v1/orgs/:orgId/providers';
const ONE = '/api/v1/orgs/:orgId/providers/:id';
const ids = (s: Session, id: string) => ({ orgId: s.orgId, id });

async function guarded(ctx: CommandContext, json: boolean | undefined, fn: (s: Session) => Promise<number | void>): Promise<number> {
  try {
    return (await fn(await openSession(ctx))) ?? 0;
  } catch (e) {
    return reportError(ctx, e, json === true);
  }
}

function printSetup(ctx: CommandContext, p: ProviderWithSetup, templateFile: string | undefined): void {
  const out = ctx.stdout;
  out.write(`provider ${p.name} [${p.id}] (${p.mode}, ${p.status})\n`);
  out.write(`external ID: ${p.externalId}\n`);
  out.write(`engine principal: ${p.setup.enginePrincipal}\n`);
  out.write(`trust policy the role needs:\n${JSON.stringify(p.setup.trustPolicy, null, 2)}\n`);
  if (templateFile) out.write(`CloudFormation template: ${templateFile}\n`);
  else out.write(`CloudFormation template: add --template-file <file> to write it (also in \`hangar providers create … --json\` as setup.cloudFormationTemplate)\n`);
  if (p.setup.consoleUrl) out.write(`create the stack: ${p.setup.consoleUrl}\n`);
  out.write(`then: hangar providers verify ${p.name} --role-arn <the role's ARN>\n`);
}

export async function providersCreate(ctx: CommandContext, name: string, o: ProviderOptions = {}): Promise<number> {
  return guarded(ctx, o.json, async (s) => {
    const body: BodyOf<typeof createProvider> = {
      name, ...(o.roleArn ? { roleArn: o.roleArn } : {}), ...(o.region ? { region: o.region } : {}),
      ...(o.mode ? { mode: o.mode as BodyOf<typeof createProvider>['mode'] } : {}),
    };
    const p = await s.client.call<typeof createProvider>('POST', BASE, { params: { orgId: s.orgId }, body });
    // Written only when asked for, never into the current folder by default.
    const file = o.templateFile ? resolve(ctx.cwd, o.templateFile) : undefined;
    if (file) writeFileSync(file, p.setup.cloudFormationTemplate);
    for (const w of p.warnings ?? []) ctx.stderr.write(`warning: ${w}\n`);
    if (o.json) printJson(ctx, { ...p, ...(file ? { templateFile: file } : {}) });
    else printSetup(ctx, p, file);
  });
}

export async function providersList(ctx: CommandContext, o: ProviderOptions = {}): Promise<number> {
  return guarded(ctx, o.json, async (s) => {
    const { providers } = await s.client.call<typeof listProviders>('GET', BASE, { params: { orgId: s.orgId } });
    if (o.json) return void printJson(ctx, { providers });
    if (providers.length === 0) ctx.stdout.write('No providers yet: `hangar providers create <name>` registers one.\n');
    for (const p of providers) {
      const links = p.links.map((l) => l.scope === 'org' ? 'org default' : l.scope === 'instance' ? `instance ${l.instanceId}` : [l.app, l.stage].filter(Boolean).join('/')).join(', ');
      ctx.stdout.write(`${p.name}\t${p.status}\t${p.mode}\t${p.roleArn ?? '(no role yet)'}\t${links || 'not linked'}\n`);
    }
  });
}

/** Change the role, region or account; the engine audits it and sets the provider back to pending. */
export async function providersUpdate(ctx: CommandContext, name: string, o: ProviderOptions = {}): Promise<number> {
  return guarded(ctx, o.json, async (s) => {
    const body: BodyOf<typeof updateProvider> = {
      ...(o.roleArn ? { roleArn: o.roleArn } : {}), ...(o.region ? { region: o.region } : {}), ...(o.accountId ? { accountId: o.accountId } : {}),
    };
    if (Object.keys(body).length === 0) {
      throw new HangarError('VALIDATION_FAILED', `Nothing to change: give --role-arn <arn>, --region <region> and/or --account-id <12 digits>, e.g. \`hangar providers update ${name} --account-id 123456789012\`.`);
    }
    const before = await s.client.call<typeof getProvider>('GET', ONE, { params: ids(s, name) });
    const p = await s.client.call<typeof updateProvider>('PATCH', ONE, { params: ids(s, name), body });
    if (o.json) return void printJson(ctx, p);
    const changed = (['roleArn', 'region', 'accountId'] as const).filter((k) => body[k] !== undefined && before[k] !== p[k]);
    if (changed.length === 0) return void createUi(ctx).info(`Provider ${p.name} already had these settings; nothing changed (${p.status}).`);
    createUi(ctx).success(`Updated provider ${p.name}: ${changed.map((k) => `${k} ${before[k] ?? '(none)'} → ${p[k]}`).join(', ')}`);
    if (p.status !== 'verified') createUi(ctx).warn(`status: ${p.status}; deployments with it are refused until \`hangar providers verify ${p.name}\` passes.`);
  });
}

export async function providersVerify(ctx: CommandContext, name: string, o: ProviderOptions = {}): Promise<number> {
  return guarded(ctx, o.json, async (s) => {
    const r = await s.client.call<typeof verifyProviderRoute>('POST', `${ONE}/verify`, { params: ids(s, name), body: o.roleArn ? { roleArn: o.roleArn } : {} });
    if (o.json) printJson(ctx, r);
    else {
      for (const c of r.checks) ctx.stdout.write(`${c.passed ? '✔' : '✖'} ${c.title}: ${c.detail}${!c.passed && c.fix ? `\n    fix: ${c.fix}` : ''}\n`);
      if (r.status === 'verified') createUi(ctx).success(`Provider ${name} is verified.`);
    }
    if (r.status !== 'verified') {
      if (!o.json) ctx.stderr.write(`✖ ${r.message ?? `Provider ${name} failed verification.`} (${r.code ?? 'PROVIDER_NOT_VERIFIED'})\n`);
      return 1;
    }
  });
}

type LinkBody = BodyOf<typeof linkProvider>;

/** The link body for the flags given: exactly one of --org-default, --app [--stage], --instance. */
export async function linkBody(ctx: CommandContext, s: Session, o: ProviderOptions): Promise<LinkBody> {
  const chosen = [o.orgDefault ? 1 : 0, o.app ? 1 : 0, o.instance ? 1 : 0].reduce((a, b) => a + b, 0);
  if (chosen !== 1) throw new HangarError('VALIDATION_FAILED', 'Choose where the provider applies: --org-default, --app <app> [--stage <stage>], or --instance (this project\'s instance) / --instance <id>.');
  if (o.orgDefault) return { scope: 'org' };
  if (o.app) return o.stage ? { scope: 'app-stage', app: o.app, stage: o.stage } : { scope: 'app', app: o.app };
  if (typeof o.instance === 'string') return { scope: 'instance', instanceId: o.instance };
  const { project } = loadProject(ctx.cwd, ctx.env, o.stage);
  const ins = await s.client.call<typeof instanceByName>('GET', '/api/v1/orgs/:orgId/instances/by-name/:app/:stage/:name', {
    params: { orgId: s.orgId, app: project.app, stage: project.stage, name: project.name },
  });
  return { scope: 'instance', instanceId: ins.id };
}

export async function providersLink(ctx: CommandContext, name: string, o: ProviderOptions = {}): Promise<number> {
  return guarded(ctx, o.json, async (s) => {
    const r = await s.client.call<typeof linkProvider>('POST', `${ONE}/links`, { params: ids(s, name), body: await linkBody(ctx, s, o) });
    if (o.json) printJson(ctx, r);
    else createUi(ctx).success(`Linked ${name} (${r.link.scope}${r.link.app ? ` ${r.link.app}` : ''}${r.link.stage ? `/${r.link.stage}` : ''}${r.link.instanceId ? ` ${r.link.instanceId}` : ''}) as link ${r.link.id}`);
    if (r.warning && !o.json) createUi(ctx).warn(r.warning);
  });
}

/** Unlink by link id, or by the same flags as `link`. */
export async function providersUnlink(ctx: CommandContext, name: string, linkId: string | undefined, o: ProviderOptions = {}): Promise<number> {
  return guarded(ctx, o.json, async (s) => {
    let id = linkId;
    if (!id) {
      const want = await linkBody(ctx, s, o);
      const p = await s.client.call<typeof getProvider>('GET', ONE, { params: ids(s, name) });
      const match = p.links.find((l) => l.scope === want.scope && (want.app === undefined || l.app === want.app) && (want.stage === undefined || l.stage === want.stage) && (want.instanceId === undefined || l.instanceId === want.instanceId));
      if (!match) throw new HangarError('NOT_FOUND', `Provider ${name} has no such link; \`hangar providers list\` shows its links.`);
      id = match.id;
    }
    await s.client.call<typeof unlinkProvider>('DELETE', `${ONE}/links/:linkId`, { params: { ...ids(s, name), linkId: id } });
    if (o.json) printJson(ctx, { unlinked: id });
    else createUi(ctx).success(`Removed link ${id} of ${name}`);
  });
}

export async function providersDelete(ctx: CommandContext, name: string, o: ProviderOptions = {}): Promise<number> {
  return guarded(ctx, o.json, async (s) => {
    await s.client.call<typeof deleteProvider>('DELETE', ONE, { params: ids(s, name) });
    if (o.json) printJson(ctx, { deleted: name });
    else createUi(ctx).success(`Deleted provider ${name} and its links`);
  });
}
