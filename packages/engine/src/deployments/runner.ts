import { HangarError, type SessionCredentials } from '@hangar/core';
import { permissionStatements, sessionPolicyDocument, validateInputs, type ComponentContext, type ComponentPermissions, type InstanceRef } from '@hangar/components';
import type { Actor, AuditApi, Clock, CredentialBroker, CredentialSession, Db, Logger, ResolvedProvider, SessionPolicyDocument } from '../types.js';
import type { SourceCache } from '../source/source-cache.js';
import type { DeploymentBus } from './bus.js';
import type { ComponentLookup } from './components.js';
import { describeFailure, type DeploymentFailure } from './errors.js';
import { createDeploymentLog } from './log-writer.js';
import { storeUnavailable } from '../store/errors.js';
import type { DeploymentRow } from './queue.js';
import type { QueuedDeployment } from './job-queue.js';
import { deploymentFingerprint } from './fingerprint.js';

export interface RunnerDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly audit: AuditApi;
  readonly broker: CredentialBroker;
  readonly lookup: ComponentLookup;
  readonly source: SourceCache;
  readonly bus: DeploymentBus;
  /** How often the run asks the session for fresh credentials (it refreshes before expiry). */
  readonly refreshMs?: number;
  /** How often the run renews its heartbeat (see reapInterrupted); default 15 s. */
  readonly heartbeatMs?: number;
  /**
   * Puts the deployment back in the queue (see DeploymentQueue.requeue). Used only when the run is
   * stopped (engine shutdown) before it asked for credentials: nothing has touched the cloud, so
   * running it again, here or on another engine, is safe. Without it such a run fails as interrupted.
   */
  readonly requeue?: (dep: QueuedDeployment) => Promise<boolean>;
  /** The components' version, part of a deploy's fingerprint (see componentsPackageVersion). */
  readonly componentVersion?: string;
}

/** Thrown when the run is stopped before it asked for credentials. */
class StoppedBeforeCloud extends Error {}

const REDACTED = '[REDACTED]';

/**
 * What narrows a deployment's session: a component declaring statements gets a session policy
 * naming this instance's resources; one declaring bare actions gets them on any resource.
 */
function narrowing(permissions: ComponentPermissions, instance: InstanceRef): { policy: SessionPolicyDocument } | { permissions: readonly string[] } | Record<string, never> {
  if (typeof permissions !== 'function') return { permissions };
  const policy = sessionPolicyDocument(permissionStatements(permissions, instance));
  return policy ? { policy } : {};
}

/** Turns what a component returned into plain JSON text (dropping functions, class instances' internals). */
function jsonText(value: unknown): string {
  return JSON.stringify(value ?? {});
}

/**
 * Runs one claimed deployment to its end. Never throws: every failure is recorded on the
 * deployment (code, message, AWS code and request id) and the instance keeps its previous state
 * and outputs. Credentials live only in this function's memory; every log line and error message
 * is scrubbed of every secret value the session handed out.
 */
export async function runDeployment(deps: RunnerDeps, dep: DeploymentRow, signal?: AbortSignal): Promise<void> {
  const { db, clock, bus } = deps;
  const startedAt = dep.started_at ? new Date(dep.started_at) : clock.now();
  const secrets = new Set<string>();
  const scrub = (text: string): string => {
    let out = text;
    for (const s of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join(REDACTED);
    return out;
  };
  const log = createDeploymentLog({ db, clock, bus, deploymentId: dep.id, scrub, onError: (e) => deps.logger.error('could not store a deployment log line', { deploymentId: dep.id, err: e }) });
  const remember = (c: SessionCredentials): void => {
    for (const s of c.secrets()) {
      if (!secrets.has(s)) {
        secrets.add(s);
        deps.logger.addSecret(s);
      }
    }
  };

  bus.notify(dep.id);
  let provider: ResolvedProvider | undefined;
  let session: CredentialSession | undefined;
  let refresher: NodeJS.Timeout | undefined;
  let failure: DeploymentFailure | undefined;
  let outputs: Record<string, unknown> = {};
  let newState = '{}';
  let fingerprint: string | null = null;
  let skippedSince: string | undefined;
  const subject = `deployment:${dep.id}`;
  // Nothing has touched the cloud yet: with the store locked or away, wait for it rather than fail.
  const { instance, app } = await untilStoreAnswers(deps, dep.id, signal, async () => {
    const found = {
      instance: await db.selectFrom('instances').selectAll().where('id', '=', dep.instance_id).executeTakeFirstOrThrow(),
      app: await db.selectFrom('apps').select(['id', 'name']).where('id', '=', dep.app_id).executeTakeFirstOrThrow(),
    };
    await deps.audit.append({
      orgId: dep.org_id, kind: 'deployment.started', actor: dep.actor, subject,
      data: { action: dep.action, instanceId: dep.instance_id, app: found.app.name, stage: dep.stage, name: found.instance.name, component: dep.component, manifestId: dep.manifest_id },
    });
    return found;
  });

  // The component's signal also fires when this run loses its lease: another engine judged it
  // dead (no heartbeat) and failed it as DEPLOY_INTERRUPTED, so the instance may already run its
  // next deployment elsewhere; this run must stop touching the cloud.
  const leaseLost = new AbortController();
  const runSignal = signal ? AbortSignal.any([signal, leaseLost.signal]) : leaseLost.signal;
  const heartbeat = setInterval(() => {
    db.updateTable('deployments').set({ heartbeat_at: clock.now().toISOString() }).where('id', '=', dep.id).where('status', '=', 'running').executeTakeFirst()
      .then((r) => {
        if (Number(r.numUpdatedRows) === 0 && !leaseLost.signal.aborted) {
          deps.logger.warn('a running deployment lost its lease (failed as interrupted elsewhere); aborting it', { deploymentId: dep.id });
          leaseLost.abort();
        }
      })
      .catch((e) => deps.logger.warn('could not renew a deployment heartbeat', { deploymentId: dep.id, err: e }));
  }, deps.heartbeatMs ?? 15_000);
  heartbeat.unref();
  // Until credentials are asked for, nothing has touched the cloud: a run stopped before then may be retried.
  let touchedCloud = false;
  try {
    const component = deps.lookup(dep.component);
    if (!component) throw new HangarError('COMPONENT_NOT_FOUND', `There is no component "${dep.component}".`);
    log.info(`${dep.action === 'deploy' ? 'Deploying' : 'Removing'} ${app.name}/${dep.stage}/${instance.name} (${dep.component}), deployment ${dep.id}`);
    provider = await deps.broker.resolve({ orgId: dep.org_id, appId: dep.app_id, stage: dep.stage, instanceId: dep.instance_id });
    await db.updateTable('deployments').set({ provider_id: provider.id, provider_name: provider.name, role_arn: provider.roleArn }).where('id', '=', dep.id).execute();
    log.info(`Provider ${provider.name} (linked at ${provider.linkedAt}), role ${provider.roleArn}, region ${provider.region}`);
    if (dep.action === 'deploy') {
      fingerprint = deploymentFingerprint({ manifestId: dep.manifest_id, inputs: dep.inputs, component: dep.component, componentVersion: deps.componentVersion ?? 'unknown', provider });
      // Unchanged since the instance's last successful deployment: nothing to do, and no role is
      // assumed to find that out. --refresh (refresh = 1) deploys anyway: the component checks for drift.
      if (dep.refresh !== 1 && dep.replace_resources !== 1 && instance.status === 'deployed' && instance.last_deployment_id) {
        const last = await db.selectFrom('deployments').select(['id', 'action', 'status', 'fingerprint']).where('id', '=', instance.last_deployment_id).executeTakeFirst();
        if (last && last.action === 'deploy' && (last.status === 'succeeded' || last.status === 'skipped') && last.fingerprint === fingerprint) skippedSince = last.id;
      }
    }
    if (skippedSince) {
      log.info(`No changes since deployment ${skippedSince} (same source, inputs, component and provider): nothing deployed, no credentials requested. Deploy with --refresh to check the cloud for drift.`);
      outputs = JSON.parse(instance.outputs) as Record<string, unknown>;
    } else {
      const ref = JSON.parse(dep.actor_ref) as { kind: Actor['kind']; id: string; userId: string };
      const actor: Actor = { kind: ref.kind, id: ref.id, userId: ref.userId, name: dep.actor };
      if (runSignal.aborted) throw new StoppedBeforeCloud('stopped before credentials were requested');
      touchedCloud = true;
      const instanceRef = { orgId: dep.org_id, appId: dep.app_id, app: app.name, stage: dep.stage, name: instance.name, instanceId: dep.instance_id };
      session = await deps.broker.open({
        deploymentId: dep.id, orgId: dep.org_id, appId: dep.app_id, stage: dep.stage, instanceId: dep.instance_id, actor, provider, ...narrowing(component.permissions, instanceRef),
      });
      const opened = session;
      let credentials = await opened.current();
      remember(credentials);
      log.info(`Temporary credentials issued for session hangar-${dep.id}${credentials.expiration ? `, expiring ${credentials.expiration.toISOString()}` : ''}`);
      refresher = setInterval(() => {
        opened.current().then((c) => { remember(c); credentials = c; }, (e) => log.warn(`Could not refresh credentials: ${e instanceof Error ? e.message : String(e)}`));
      }, deps.refreshMs ?? 60_000);
      refresher.unref();

      const manifestId = dep.manifest_id;
      const ctx: ComponentContext = {
        get credentials() { return credentials; },
        region: opened.region,
        ...(opened.endpoint ? { endpoint: opened.endpoint } : {}),
        instance: instanceRef,
        state: Object.freeze(JSON.parse(instance.state) as Record<string, unknown>),
        log: { info: (m) => log.info(m), warn: (m) => log.warn(m), error: (m) => log.error(m) },
        ...(manifestId ? {
          source: {
            manifestId, zip: () => deps.source.assembleZip(manifestId), file: () => deps.source.assembleFile(manifestId), layered: () => deps.source.assembleLayered(manifestId),
          },
        } : {}),
        signal: runSignal,
        ...(dep.replace_resources === 1 ? { replace: true } : {}),
        ...(dep.refresh === 1 ? { refresh: true } : {}),
      };

      if (dep.action === 'deploy') {
        if (ctx.replace) log.warn('--replace: a change that cannot be made in place replaces the resource, deleting what it holds');
        const inputs = validateInputs(component, JSON.parse(dep.inputs));
        const result = await component.deploy(inputs, ctx);
        outputs = JSON.parse(jsonText(result.outputs)) as Record<string, unknown>;
        newState = scrub(jsonText(result.state));
      } else {
        await component.remove(ctx);
        log.info('Removed everything the instance had created');
      }
    }
  } catch (err) {
    if (!touchedCloud && signal?.aborted && !leaseLost.signal.aborted && deps.requeue) {
      clearInterval(heartbeat);
      let requeued = false;
      try {
        log.warn('The engine stopped before this deployment asked for credentials (nothing was changed in the cloud): it is queued again and another engine will run it.');
        await log.flush();
        requeued = await deps.requeue({ id: dep.id, orgId: dep.org_id, instanceId: dep.instance_id });
      } catch (e) {
        deps.logger.warn('could not put a stopped deployment back in the queue', { deploymentId: dep.id, err: e });
      }
      if (requeued) {
        deps.logger.info('a deployment stopped before it touched the cloud was put back in the queue', { deploymentId: dep.id });
        for (const s of secrets) deps.logger.removeSecret(s);
        bus.notify(dep.id);
        return;
      }
    }
    const raw = err instanceof StoppedBeforeCloud ? describeFailure(new HangarError('DEPLOY_INTERRUPTED', 'The engine stopped before this deployment asked for credentials; nothing was changed in the cloud. Deploy again.')) : describeFailure(err);
    failure = { code: raw.code, message: scrub(raw.message), awsCode: raw.awsCode && scrub(raw.awsCode), requestId: raw.requestId && scrub(raw.requestId) };
    if (raw.code === 'DEPLOY_COMPONENT_FAILED' || raw.code === 'INTERNAL') deps.logger.error('deployment failed unexpectedly', { deploymentId: dep.id, err: scrub(err instanceof Error ? `${err.stack ?? err.message}` : String(err)) });
    log.error(`Failed: ${failure.message}${failure.awsCode ? ` [AWS ${failure.awsCode}${failure.requestId ? `, request id ${failure.requestId}` : ''}]` : ''}`);
  } finally {
    clearInterval(heartbeat);
    if (refresher) clearInterval(refresher);
    session?.close();
  }

  try {
    // Every line is stored before the status turns final (streams rely on it), and the audit
    // event is written before too, so whoever sees "done" also finds deployment.finished.
    await log.flush();
    const f = failure;
    let audited = false;
    await untilStoreAnswers(deps, dep.id, signal, async () => {
      const finishedAt = clock.now();
      const now = finishedAt.toISOString();
      // Still ours? If the deployment was failed as DEPLOY_INTERRUPTED meanwhile (its lease ran out
      // and another engine reaped it, writing its finished event), its record stays as the reaper
      // left it: never `succeeded` carrying an error, and the instance may already be another run's.
      const renewed = await db.updateTable('deployments').set({ heartbeat_at: now }).where('id', '=', dep.id).where('status', '=', 'running').executeTakeFirst();
      if (Number(renewed.numUpdatedRows) !== 1) {
        deps.logger.warn('a deployment was marked interrupted while it ran; its result is discarded', { deploymentId: dep.id, outcome: f ? f.code : 'succeeded' });
        return;
      }
      if (!audited) {
        await deps.audit.append({
          orgId: dep.org_id, kind: 'deployment.finished', actor: dep.actor, subject,
          data: {
            action: dep.action, instanceId: dep.instance_id, status: f ? 'failed' : skippedSince ? 'skipped' : 'succeeded', durationMs: finishedAt.getTime() - startedAt.getTime(),
            providerId: provider?.id ?? null, providerName: provider?.name ?? null, roleArn: provider?.roleArn ?? null,
            ...(f ? { errorCode: f.code, awsCode: f.awsCode ?? null, awsRequestId: f.requestId ?? null } : {}),
          },
        });
        audited = true;
      }
      await db.transaction().execute(async (tx) => {
        const stillRunning = <T extends { numUpdatedRows: bigint }>(r: T): void => {
          if (Number(r.numUpdatedRows) !== 1) throw new Error(`deployment ${dep.id} stopped being running before its end was recorded`);
        };
        if (f) {
          stillRunning(await tx.updateTable('deployments').set({
            status: 'failed', error_code: f.code, error_message: f.message, aws_code: f.awsCode ?? null, aws_request_id: f.requestId ?? null, finished_at: now,
          }).where('id', '=', dep.id).where('status', '=', 'running').executeTakeFirst());
          // The instance keeps its previous inputs, outputs and state: only the pointer to its last deployment moves.
          await tx.updateTable('instances').set({ status: instance.status === 'deployed' ? 'deployed' : 'failed', last_deployment_id: dep.id, updated_at: now }).where('id', '=', dep.instance_id).execute();
        } else if (skippedSince) {
          // The instance is as its last deployment left it; only the pointer moves.
          stillRunning(await tx.updateTable('deployments').set({ status: 'skipped', error_code: null, error_message: null, outputs: instance.outputs, fingerprint, finished_at: now }).where('id', '=', dep.id).where('status', '=', 'running').executeTakeFirst());
          await tx.updateTable('instances').set({ last_deployment_id: dep.id, updated_at: now }).where('id', '=', dep.instance_id).execute();
        } else if (dep.action === 'deploy') {
          const out = scrub(jsonText(outputs));
          stillRunning(await tx.updateTable('deployments').set({ status: 'succeeded', error_code: null, error_message: null, outputs: out, fingerprint, finished_at: now }).where('id', '=', dep.id).where('status', '=', 'running').executeTakeFirst());
          await tx.updateTable('instances').set({ status: 'deployed', component: dep.component, inputs: dep.inputs, outputs: out, state: newState, last_deployment_id: dep.id, updated_at: now }).where('id', '=', dep.instance_id).execute();
        } else {
          stillRunning(await tx.updateTable('deployments').set({ status: 'succeeded', error_code: null, error_message: null, outputs: '{}', finished_at: now }).where('id', '=', dep.id).where('status', '=', 'running').executeTakeFirst());
          await tx.updateTable('instances').set({ status: 'removed', outputs: '{}', state: '{}', last_deployment_id: dep.id, updated_at: now }).where('id', '=', dep.instance_id).execute();
        }
      });
    });
  } finally {
    for (const s of secrets) deps.logger.removeSecret(s);
    bus.notify(dep.id);
  }
}

/**
 * Runs `step` again while the store is unavailable (locked, disk full, connection lost), so the
 * start and the end of a run are recorded once the store is back instead of leaving the
 * deployment running until its lease expires. Gives up when the worker pool stops (`signal`); other errors pass through.
 */
async function untilStoreAnswers<T>(deps: RunnerDeps, deploymentId: string, signal: AbortSignal | undefined, step: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      const store = storeUnavailable(err);
      if (!store || signal?.aborted) throw err;
      deps.logger.warn('could not record a deployment\'s start or end: the store is unavailable; retrying', { deploymentId, attempt, err: store.message });
      await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** Math.min(attempt, 6))));
    }
  }
}
