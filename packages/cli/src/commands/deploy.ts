/**
 * `hangar deploy`: load the project, hash and send its source (only what changed), start the
 * deployment, follow its progress, print the outputs and the provider used. No cloud credentials
 * are read anywhere on this path: the engine deploys with a role the organisation registered.
 */
import type { ResolvedProject, SourceInput } from '@hangar/core';
import type { createDeployment } from '@hangar/core/api';
import type { CommandContext } from '../context.js';
import { createUi, errorJson, printJson, reportError } from '../output.js';
import { loadProject } from '../project-file.js';
import { openSession, type Session } from '../session.js';
import { waitForDeployment, type DeploymentView } from '../deploy/follow.js';
import { checkSourceEarly, sendSource, type CheckedSource, type SourceSummary } from '../source/send.js';

export interface DeployOptions {
  readonly stage?: string | undefined;
  readonly json?: boolean | undefined;
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
}

const NO_CREDENTIALS = 'No local cloud credentials were read.';
const emptyUpload: SourceSummary = { files: 0, bytes: 0, uploadedFiles: 0, uploadedBytes: 0, sentBytes: 0, hashedFiles: 0, manifestKind: 'none' };

/** Inputs as the engine gets them: the code travels by manifest id, not by path. */
export function engineInputs(project: ResolvedProject): Record<string, unknown> {
  const { src: _src, ...rest } = project.inputs;
  return rest;
}

export async function runDeployment(ctx: CommandContext, session: Session, project: ResolvedProject, action: 'deploy' | 'remove', body: { manifestId?: string }, quiet: boolean): Promise<DeploymentView> {
  const ui = createUi(ctx, quiet);
  const created = await session.client.call<typeof createDeployment>('POST', '/api/v1/orgs/:orgId/deployments', {
    params: { orgId: session.orgId },
    body: {
      app: project.app, stage: project.stage, name: project.name, component: project.component,
      inputs: action === 'deploy' ? engineInputs(project) : {}, ...body, action,
    },
  });
  const id = created.deploymentId;
  ui.step(`${action === 'deploy' ? 'Deploying' : 'Removing'} ${project.app}/${project.stage}/${project.name} (deployment ${id})`);
  return waitForDeployment(session.client, session.orgId, id, {
    status: (s) => ui.info(`status: ${s}`),
    log: (l) => (l.level === 'error' ? ui.warn(l.message) : ui.info(l.message)),
  });
}

export function printOutcome(ctx: CommandContext, d: DeploymentView, durationMs: number): void {
  const ui = createUi(ctx);
  if (d.status === 'succeeded') {
    ui.success(`${d.action === 'remove' ? 'Removed' : 'Deployed'} in ${(durationMs / 1000).toFixed(1)} s`);
    for (const [k, v] of Object.entries(d.outputs ?? {})) ctx.stdout.write(`${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}\n`);
  }
  if (d.provider) ctx.stdout.write(`provider: ${d.provider.name ?? d.provider.id} (role ${d.provider.roleArn ?? 'unknown'})\n`);
  ctx.stdout.write(`${NO_CREDENTIALS}\n`);
}

export function deploymentError(d: DeploymentView): { code: string; message: string } | undefined {
  if (d.status === 'succeeded') return undefined;
  const e = d.error ?? { code: 'INTERNAL', message: 'The deployment failed without an error message.', awsCode: null, requestId: null };
  const aws = [e.awsCode ? `AWS error ${e.awsCode}` : '', e.requestId ? `request id ${e.requestId}` : ''].filter(Boolean).join(', ');
  return { code: e.code, message: aws ? `${e.message} (${aws})` : e.message };
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
export async function deployLoaded(ctx: CommandContext, target: DeployTarget, quiet: boolean, started = Date.now()): Promise<{ result: DeployResult; deployment: DeploymentView }> {
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
  const d = await runDeployment(ctx, session, project, 'deploy', manifestId ? { manifestId } : {}, quiet);
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
    const { dir, project } = loadProject(ctx.cwd, ctx.env, options.stage);
    const src = project.inputs.src as SourceInput | undefined; // checked by parseProject
    // A source folder of credentials is refused before the engine hears of this deploy.
    const checked = src === undefined ? undefined : checkSourceEarly(ctx, dir, src);
    const session = await openSession(ctx, { projectOrg: project.org });
    const { result, deployment: d } = await deployLoaded(ctx, { dir, project, session, checked }, json, started);
    if (json) printJson(ctx, result);
    else {
      printOutcome(ctx, d, result.durationMs);
      if (result.error) ctx.stderr.write(`✖ ${result.error.message} (${result.error.code})\n`);
    }
    return result.error ? 1 : 0;
  } catch (e) {
    if (!json) return reportError(ctx, e, false);
    printJson(ctx, { deploymentId: null, status: 'failed', outputs: {}, provider: null, upload: emptyUpload, durationMs: Date.now() - started, timings: null, error: errorJson(e) });
    return 1;
  }
}
