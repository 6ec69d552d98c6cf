/**
 * `hangar providers ...`: register the IAM role the engine assumes (with an external ID the
 * engine generates), prove it is enforced, and link it where it applies.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HangarError } from '@hangar/core';
import type { CommandContext } from '../context.js';
import { createUi, printJson, reportError } from '../output.js';
import { openSession, type Session } from '../session.js';
import { loadProject } from '../project-file.js';

interface LinkView { id: string; scope: string; app: string | null; stage: string | null; instanceId: string | null }
interface ProviderView {
  id: string; name: string; mode: string; roleArn: string | null; region: string; externalId: string; status: string; links: LinkView[];
  setup?: { externalId: string; enginePrincipal: string; trustPolicy: unknown; cloudFormationTemplate: string; consoleUrl: string | null };
  /** E.g. a web-identity issuer real AWS could not reach. */
  warnings?: string[];
}
interface VerifyAnswer { status: string; code?: string; message?: string; checks: { id: string; title: string; passed: boolean; detail: string; fix: string | null }[] }

export interface ProviderOptions {
  readonly roleArn?: string | undefined;
  readonly region?: string | undefined;
  readonly mode?: string | undefined;
  readonly json?: boolean | undefined;
  readonly orgDefault?: boolean | undefined;
  readonly app?: string | undefined;
  readonly stage?: string | undefined;
  readonly instance?: string | boolean | undefined;
}

const base = (s: Session) => `/api/v1/orgs/${encodeURIComponent(s.orgId)}/providers`;
const one = (s: Session, name: string) => `${base(s)}/${encodeURIComponent(name)}`;

async function guarded(ctx: CommandContext, json: boolean | undefined, fn: (s: Session) => Promise<number | void>): Promise<number> {
  try {
    return (await fn(await openSession(ctx))) ?? 0;
  } catch (e) {
    return reportError(ctx, e, json === true);
  }
}

function printSetup(ctx: CommandContext, p: ProviderView): void {
  const out = ctx.stdout;
  out.write(`provider ${p.name} [${p.id}] (${p.mode}, ${p.status})\n`);
  out.write(`external ID: ${p.externalId}\n`);
  if (!p.setup) return;
  out.write(`engine principal: ${p.setup.enginePrincipal}\n`);
  out.write(`trust policy the role needs:\n${JSON.stringify(p.setup.trustPolicy, null, 2)}\n`);
  const ext = p.setup.cloudFormationTemplate.trimStart().startsWith('{') ? 'json' : 'yml';
  const file = join(ctx.cwd, `hangar-provider-${p.name}.template.${ext}`);
  writeFileSync(file, p.setup.cloudFormationTemplate);
  out.write(`CloudFormation template: ${file}\n`);
  if (p.setup.consoleUrl) out.write(`create the stack: ${p.setup.consoleUrl}\n`);
  out.write(`then: hangar providers verify ${p.name} --role-arn <the role's ARN>\n`);
}

export async function providersCreate(ctx: CommandContext, name: string, o: ProviderOptions = {}): Promise<number> {
  return guarded(ctx, o.json, async (s) => {
    const p = await s.client.json<ProviderView>('POST', base(s), {
      name, ...(o.roleArn ? { roleArn: o.roleArn } : {}), ...(o.region ? { region: o.region } : {}), ...(o.mode ? { mode: o.mode } : {}),
    });
    for (const w of p.warnings ?? []) ctx.stderr.write(`warning: ${w}\n`);
    if (o.json) printJson(ctx, p);
    else printSetup(ctx, p);
  });
}

export async function providersList(ctx: CommandContext, o: ProviderOptions = {}): Promise<number> {
  return guarded(ctx, o.json, async (s) => {
    const { providers } = await s.client.json<{ providers: ProviderView[] }>('GET', base(s));
    if (o.json) return void printJson(ctx, { providers });
    if (providers.length === 0) ctx.stdout.write('No providers yet: `hangar providers create <name>` registers one.\n');
    for (const p of providers) {
      const links = p.links.map((l) => l.scope === 'org' ? 'org default' : l.scope === 'instance' ? `instance ${l.instanceId}` : [l.app, l.stage].filter(Boolean).join('/')).join(', ');
      ctx.stdout.write(`${p.name}\t${p.status}\t${p.mode}\t${p.roleArn ?? '(no role yet)'}\t${links || 'not linked'}\n`);
    }
  });
}

export async function providersVerify(ctx: CommandContext, name: string, o: ProviderOptions = {}): Promise<number> {
  return guarded(ctx, o.json, async (s) => {
    const r = await s.client.json<VerifyAnswer>('POST', `${one(s, name)}/verify`, o.roleArn ? { roleArn: o.roleArn } : {});
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

/** The link body for the flags given: exactly one of --org-default, --app [--stage], --instance. */
export async function linkBody(ctx: CommandContext, s: Session, o: ProviderOptions): Promise<Record<string, string>> {
  const chosen = [o.orgDefault ? 1 : 0, o.app ? 1 : 0, o.instance ? 1 : 0].reduce((a, b) => a + b, 0);
  if (chosen !== 1) throw new HangarError('VALIDATION_FAILED', 'Choose where the provider applies: --org-default, --app <app> [--stage <stage>], or --instance (this project\'s instance) / --instance <id>.');
  if (o.orgDefault) return { scope: 'org' };
  if (o.app) return o.stage ? { scope: 'app-stage', app: o.app, stage: o.stage } : { scope: 'app', app: o.app };
  if (typeof o.instance === 'string') return { scope: 'instance', instanceId: o.instance };
  const { project } = loadProject(ctx.cwd, ctx.env, o.stage);
  const ins = await s.client.json<{ id: string }>('GET', `/api/v1/orgs/${encodeURIComponent(s.orgId)}/instances/by-name/${[project.app, project.stage, project.name].map(encodeURIComponent).join('/')}`);
  return { scope: 'instance', instanceId: ins.id };
}

export async function providersLink(ctx: CommandContext, name: string, o: ProviderOptions = {}): Promise<number> {
  return guarded(ctx, o.json, async (s) => {
    const r = await s.client.json<{ link: LinkView }>('POST', `${one(s, name)}/links`, await linkBody(ctx, s, o));
    if (o.json) printJson(ctx, r);
    else createUi(ctx).success(`Linked ${name} (${r.link.scope}${r.link.app ? ` ${r.link.app}` : ''}${r.link.stage ? `/${r.link.stage}` : ''}${r.link.instanceId ? ` ${r.link.instanceId}` : ''}) as link ${r.link.id}`);
  });
}

/** Unlink by link id, or by the same flags as `link`. */
export async function providersUnlink(ctx: CommandContext, name: string, linkId: string | undefined, o: ProviderOptions = {}): Promise<number> {
  return guarded(ctx, o.json, async (s) => {
    let id = linkId;
    if (!id) {
      const want = await linkBody(ctx, s, o);
      const p = await s.client.json<ProviderView>('GET', one(s, name));
      const match = p.links.find((l) => l.scope === want.scope && (want.app === undefined || l.app === want.app) && (want.stage === undefined || l.stage === want.stage) && (want.instanceId === undefined || l.instanceId === want.instanceId));
      if (!match) throw new HangarError('NOT_FOUND', `Provider ${name} has no such link; \`hangar providers list\` shows its links.`);
      id = match.id;
    }
    await s.client.json('DELETE', `${one(s, name)}/links/${encodeURIComponent(id)}`);
    if (o.json) printJson(ctx, { unlinked: id });
    else createUi(ctx).success(`Removed link ${id} of ${name}`);
  });
}

export async function providersDelete(ctx: CommandContext, name: string, o: ProviderOptions = {}): Promise<number> {
  return guarded(ctx, o.json, async (s) => {
    await s.client.json('DELETE', one(s, name));
    if (o.json) printJson(ctx, { deleted: name });
    else createUi(ctx).success(`Deleted provider ${name} and its links`);
  });
}
