/**
 * `hangar deploy`: load the project, hash and send its source (only what changed), start the
 * deployment, follow its progress, print the outputs and the provider used. No cloud credentials
 * are read anywhere on this path: the engine deploys with a role the organisation registered.
 */
import { HangarError, hasReferences, isErrorCode, type ResolvedProject, type SourceInput } from '@hangar/core';
import type { createAppDeployment, createDeployment } from '@hangar/core/api';
import type { CommandContext } from '../context.js';
import { createUi, errorJson, printJson, reportError } from '../output.js';
import { join } from 'node:path';
import { hangarHome } from '../config.js';
import { cachedProjectReader } from '../project-cache.js';
import { loadWorkspace } from '../project-file.js';
import { openSession, type Session } from '../session.js';
import { waitForDeployment, type DeploymentView } from '../deploy/follow.js';
import { checkSourceEarly, sendSource, type CheckedSource, type SourceSummary } from '../source/send.js';
import { smokeTest, smokeUrl, type SmokeResult } from '../deploy/smoke.js';
import { colorsFor, formatFunctionError } from './function-render.js';

export interface DeployOptions {
  readonly stage?: string | undefined;
  readonly json?: boolean | undefined;
  /** Deploy even when nothing changed since the last successful deployment (a drift check). */
  readonly refresh?: boolean | undefined;
  /**
   * `--replace <instance-or-component>`: lets a change AWS cannot make in place (a table's keys)
   * replace the resource of the instance so named, or of the instances of that component.
   */
  readonly replace?: string | undefined;
  /** After a successful deploy, GET the deployed URL (`true`: `/`, or this path); a 5xx fails the command. */
  readonly smoke?: string | boolean | undefined;
}

/** Whether `--replace <target>` names this instance (by name or by component); refuses a target naming neither. */
export function replaceRequested(project: Pick<ResolvedProject, 'name' | 'component'>, target: string | undefined): boolean {
  if (target === undefined) return false;
  if (target === project.name || target === project.component) return true;
  throw new HangarError('VALIDATION_FAILED',
    `--replace ${target}: this project's instance is "${project.name}" (component ${project.component}); name it or its component, e.g. \`hangar deploy --replace ${project.name}\`.`,
    { details: { replace: target, instance: project.name, component: project.component } });
}

export interface DeployResult {
  deploymentId: string | null;
  status: string;
  outputs: Record<string, unknown>;
  provider: { name: string | null; roleArn: string | null } | null;
  upload: SourceSummary;
  durationMs: number;
  /** Where the time went: hashing, uploading, and the deployment itself (from its start to its
   * end as the CLI saw it, and as the engine measured its run). */
  timings: { hashMs: number; uploadMs: number; deployMs: number; engineRunMs: number | null };
  error?: { code: string; message: string };
  /** With `--smoke`: the request to the deployed URL. */
  smoke?: SmokeResult;
}

const NO_CREDENTIALS = 'No local cloud credentials were read.';
export const NOTHING_DEPLOYED = 'No changes; nothing deployed (use --refresh to check for drift)';
const emptyUpload: SourceSummary = { files: 0, bytes: 0, uploadedFiles: 0, uploadedBytes: 0, sentBytes: 0, hashedFiles: 0, manifestKind: 'none' };

/** Inputs as the engine gets them: the code travels by manifest id, not by path. */
export function engineInputs(project: ResolvedProject): Record<string, unknown> {
  const { src: _src, ...rest } = project.inputs;
  return rest;
}

export async function runDeployment(ctx: CommandContext, session: Session, project: ResolvedProject, action: 'deploy' | 'remove', body: { manifestId?: string; refresh?: boolean; replace?: boolean }, quiet: boolean): Promise<DeploymentView> {
  const ui = createUi(ctx, quiet);
  const id = action === 'deploy' && hasReferences(project.inputs)
    ? await createWithReferences(session, project, body)
    : (await session.client.call<typeof createDeployment>('POST', '/api/v1/orgs/:orgId/deployments', {
      params: { orgId: session.orgId },
      body: {
        app: project.app, stage: project.stage, name: project.name, component: project.component,
        inputs: action === 'deploy' ? engineInputs(project) : {}, ...body, action,
      },
    })).deploymentId;
  ui.step(`${action === 'deploy' ? 'Deploying' : 'Removing'} ${project.app}/${project.stage}/${project.name} (deployment ${id})`);
  return waitForDeployment(session.client, session.orgId, id, {
    status: (s) => ui.info(`status: ${s}`),
    log: (l) => (l.level === 'error' ? ui.warn(l.message) : ui.info(l.message)),
  });
}

/**
 * An instance whose inputs hold `${output:}` references, deployed on its own: an app deployment
 * of this one instance, so the engine resolves the references from stored outputs (refusing one
 * whose instance was never deployed, naming the reference). Answers its deployment's id.
 */
async function createWithReferences(session: Session, project: ResolvedProject, body: { manifestId?: string; replace?: boolean }): Promise<string> {
  const a = await session.client.call<typeof createAppDeployment>('POST', '/api/v1/orgs/:orgId/app-deployments', {
    params: { orgId: session.orgId },
    body: { app: project.app, stage: project.stage, action: 'deploy', instances: [{ name: project.name, component: project.component, file: project.file, inputs: engineInputs(project), ...body }] },
  });
  const one = a.instances[0]!;
  if (one.deploymentId) return one.deploymentId;
  const code = one.error && isErrorCode(one.error.code) ? one.error.code : 'INTERNAL';
  throw new HangarError(code, one.error?.message ?? `The engine did not queue a deployment for ${project.name} (app deployment ${a.id}).`);
}

export function printOutcome(ctx: CommandContext, d: DeploymentView, durationMs: number): void {
  const ui = createUi(ctx);
  if (d.status === 'succeeded') {
    ui.success(`${d.action === 'remove' ? 'Removed' : 'Deployed'} in ${(durationMs / 1000).toFixed(1)} s`);
    for (const [k, v] of Object.entries(d.outputs ?? {})) ctx.stdout.write(`${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}\n`);
  }
  if (d.status === 'skipped') {
    ui.success(NOTHING_DEPLOYED);
    for (const [k, v] of Object.entries(d.outputs ?? {})) ctx.stdout.write(`${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}\n`);
  }
  if (d.provider) ctx.stdout.write(`provider: ${d.provider.name ?? d.provider.id} (role ${d.provider.roleArn ?? 'unknown'})\n`);
  ctx.stdout.write(`${NO_CREDENTIALS}\n`);
}

export function deploymentError(d: DeploymentView): { code: string; message: string } | undefined {
  if (d.status === 'succeeded' || d.status === 'skipped') return undefined;
  const e = d.error ?? { code: 'INTERNAL', message: 'The deployment failed without an error message.', awsCode: null, requestId: null };
  const aws = [e.awsCode ? `AWS error ${e.awsCode}` : '', e.requestId ? `request id ${e.requestId}` : ''].filter(Boolean).join(', ');
  return { code: e.code, message: aws ? `${e.message} (${aws})` : e.message };
}

async function runSmoke(ctx: CommandContext, session: Session, d: DeploymentView, path: string | true, json: boolean): Promise<SmokeResult> {
  const base = d.outputs?.url;
  if (typeof base !== 'string') {
    const error = { code: 'CLI_SMOKE_UNREACHABLE', message: `--smoke: ${d.component} instance ${d.app}/${d.stage}/${d.name} has no url output to request; drop --smoke for it.` };
    if (!json) ctx.stderr.write(`✖ ${error.message} (${error.code})\n`);
    return { url: '', status: null, ok: false, lastError: null, error };
  }
  const url = smokeUrl(base, path);
  const ui = createUi(ctx, json);
  ui.step(`Smoke test: GET ${url}`);
  const r = await smokeTest({ fetch: ctx.fetch ?? fetch, client: session.client, orgId: session.orgId }, d.instanceId, url);
  if (json) return r;
  if (r.ok && r.status !== null && r.status >= 400) ui.warn(`GET ${url} answered ${r.status} (not a server error, so the smoke test passes)`);
  else if (r.ok) ui.success(`GET ${url} answered ${r.status}`);
  else {
    const c = colorsFor(ctx.stderr);
    ctx.stderr.write(`${c.red('✖')} ${r.error?.message ?? ''} ${c.dim(`(${r.error?.code ?? ''})`)}\n`);
    if (r.lastError) for (const l of formatFunctionError(r.lastError, c)) ctx.stderr.write(`${l}\n`);
  }
  return r;
}

/** What `deployLoaded` deploys: a project already loaded and checked, and an open session. */
export interface DeployTarget {
  readonly dir: string;
  readonly project: ResolvedProject;
  readonly session: Session;
  /** From `checkSourceEarly`, when the project has a source. */
  readonly checked?: CheckedSource | undefined;
}

/**
 * Send the source (only what changed) and run one deployment; `hangar deploy` and `hangar dev`
 * share it. A deployment that fails is a result with `error`; anything else (the engine
 * unreachable, the source refused) throws.
 */
export async function deployLoaded(ctx: CommandContext, target: DeployTarget, quiet: boolean, started = Date.now(), body: { refresh?: boolean; replace?: boolean } = {}): Promise<{ result: DeployResult; deployment: DeploymentView }> {
  const { session, project, dir, checked } = target;
  const ui = createUi(ctx, quiet);
  const src = project.inputs.src as SourceInput | undefined; // checked by parseProject
  let upload = emptyUpload;
  let manifestId: string | undefined;
  let timings = { hashMs: 0, uploadMs: 0 };
  if (src !== undefined) {
    const sent = await sendSource(ctx, session, project, dir, src, ui, checked);
    upload = sent.summary;
    manifestId = sent.manifestId;
    timings = sent.timings;
  }
  const before = session.client.sentBytes();
  const deployStart = performance.now();
  const d = await runDeployment(ctx, session, project, 'deploy', { ...(manifestId ? { manifestId } : {}), ...body }, quiet);
  const deployMs = Math.round(performance.now() - deployStart);
  upload = { ...upload, sentBytes: upload.sentBytes + (session.client.sentBytes() - before) };
  const error = deploymentError(d);
  const result: DeployResult = {
    deploymentId: d.id, status: d.status, outputs: d.outputs ?? {},
    provider: d.provider ? { name: d.provider.name, roleArn: d.provider.roleArn } : null,
    upload, durationMs: Date.now() - started, timings: { ...timings, deployMs, engineRunMs: d.durationMs }, ...(error ? { error } : {}),
  };
  return { result, deployment: d };
}

export async function deploy(ctx: CommandContext, options: DeployOptions = {}): Promise<number> {
  const started = Date.now();
  const json = options.json === true;
  try {
    // The project file's parse is cached: an unchanged hangar.yml costs no YAML library.
    const ws = loadWorkspace(ctx.cwd, ctx.env, options.stage, cachedProjectReader(join(hangarHome(ctx.env, ctx.cwd), 'cache')));
    if (ws.kind === 'app') return await (await import('./app.js')).deployApp(ctx, ws, options);
    const { dir, project } = ws;
    const replace = replaceRequested(project, options.replace);
    const src = project.inputs.src as SourceInput | undefined; // checked by parseProject
    // A source folder of credentials is refused before the engine hears of this deploy.
    const checked = src === undefined ? undefined : checkSourceEarly(ctx, dir, src);
    const session = await openSession(ctx, { projectOrg: project.org });
    const loaded = await deployLoaded(ctx, { dir, project, session, checked }, json, started, { ...(options.refresh ? { refresh: true } : {}), ...(replace ? { replace } : {}) });
    const d = loaded.deployment;
    let result: DeployResult = loaded.result;
    const error = result.error;
    if (!json) {
      printOutcome(ctx, d, result.durationMs);
      if (error) ctx.stderr.write(`✖ ${error.message} (${error.code})\n`);
    }
    if (!error && options.smoke !== undefined && options.smoke !== false) {
      const smoke = await runSmoke(ctx, session, d, options.smoke, json);
      result = { ...result, smoke, ...(smoke.error ? { error: smoke.error } : {}) };
    }
    if (json) printJson(ctx, result);
    return result.error ? 1 : 0;
  } catch (e) {
    if (!json) return reportError(ctx, e, false);
    printJson(ctx, { deploymentId: null, status: 'failed', outputs: {}, provider: null, upload: emptyUpload, durationMs: Date.now() - started, timings: null, error: errorJson(e) });
    return 1;
  }
}
