/**
 * The credential broker: which provider serves a deployment, and short sessions for it that live
 * only in this process. Each issuance is audited (never a secret) and its values are registered
 * with the logger so no log line can carry them. Besides deployments it opens sessions for
 * operations on a deployed instance (`purpose` logs or invoke), always narrowed by a full session
 * policy naming the exact actions and resources.
 */
import { AssumeRoleCommand, AssumeRoleWithWebIdentityCommand, type Credentials } from '@aws-sdk/client-sts';
import { HangarError, SessionCredentials } from '@hangar/core';
import type { CoreDeps, CredentialBroker, CredentialPurpose, CredentialRequest, CredentialSession, DeploymentCredentialRequest, OperationCredentialRequest, ResolvedProvider } from '../types.js';
import type { OidcIssuer } from './oidc.js';
import type { ProviderRow, Repo } from './repo.js';
import { pickLink } from './resolve.js';
import { keyIdTail, needsRefresh, oidcSubject, operationSessionName, serializeSessionPolicy, sessionName, sessionPolicy, sessionTags, sourceIdentity } from './session-params.js';
import { assumeFailed, stsClient, withSts } from './sts.js';

export function notConfiguredMessage(where: { appLabel: string; stage: string; publicUrl: string }): string {
  return [
    `No provider is linked for app "${where.appLabel}" stage "${where.stage}", so Hangar has no AWS role to deploy with (it never falls back to other credentials).`,
    'Register a role and link it:',
    '  hangar providers create <name> --role-arn <arn>',
    '  hangar providers verify <name>',
    `  hangar providers link <name> --org-default    (or: --app ${where.appLabel} --stage ${where.stage})`,
    `or use the dashboard: ${where.publicUrl.replace(/\/+$/, '')}/providers`,
  ].join('\n');
}

/** A short, secret-free reason a store write failed (e.g. "SQLITE_BUSY: database is locked"). */
function storeReason(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? `${e.code}: ` : '';
  const message = typeof e?.message === 'string' ? e.message.split('\n')[0]!.slice(0, 160) : String(err);
  return `${code}${message}`;
}

function isOperation(req: CredentialRequest): req is OperationCredentialRequest {
  return req.purpose === 'logs' || req.purpose === 'invoke';
}

/** Names and policy of a request: a deployment's (today's behaviour) or an operation's. */
function sessionFacts(req: CredentialRequest): { purpose: CredentialPurpose; sessionName: string; subject: string; label: string; policy: string | undefined; narrowed: boolean } {
  if (isOperation(req)) {
    return {
      purpose: req.purpose, sessionName: operationSessionName(req.purpose, req.instanceId), subject: `instance:${req.instanceId}`,
      label: `${req.purpose} on instance ${req.instanceId}`, policy: serializeSessionPolicy(req.policy), narrowed: true,
    };
  }
  const dep: DeploymentCredentialRequest = req;
  const policy = sessionPolicy(dep.permissions);
  return { purpose: 'deploy', sessionName: sessionName(dep.deploymentId), subject: `deployment:${dep.deploymentId}`, label: `deployment ${dep.deploymentId}`, policy, narrowed: policy !== undefined };
}

export function createBroker(deps: CoreDeps & { repo: Repo; oidc: OidcIssuer }): CredentialBroker {
  const { repo, clock, logger, audit, config } = deps;

  async function resolve(target: { orgId: string; appId: string; stage: string; instanceId: string }): Promise<ResolvedProvider> {
    const links = await repo.linksOfOrg(target.orgId);
    const link = pickLink(links, target);
    if (!link) {
      const name = (await repo.appNames(target.orgId, [target.appId])).get(target.appId) ?? target.appId;
      throw new HangarError('PROVIDER_NOT_CONFIGURED', notConfiguredMessage({ appLabel: name, stage: target.stage, publicUrl: config.publicUrl }),
        { details: { appId: target.appId, stage: target.stage } });
    }
    const p = await repo.find(target.orgId, link.provider_id);
    if (!p) throw new HangarError('PROVIDER_NOT_CONFIGURED', notConfiguredMessage({ appLabel: target.appId, stage: target.stage, publicUrl: config.publicUrl }));
    if (p.status !== 'verified' || !p.role_arn) {
      throw new HangarError('PROVIDER_NOT_VERIFIED',
        `Provider "${p.name}" (linked at the ${link.scope} level) is ${p.status === 'failed' ? 'failing verification' : 'not verified yet'}, so it cannot be used. ` +
        `Run \`hangar providers verify ${p.name}${p.role_arn ? '' : ' --role-arn <arn>'}\` and fix what it reports, or open ${config.publicUrl.replace(/\/+$/, '')}/providers.`,
        { details: { providerId: p.id, status: p.status } });
    }
    return {
      id: p.id, name: p.name, mode: p.mode, roleArn: p.role_arn, region: p.region,
      sessionDurationSeconds: p.session_duration_seconds, linkedAt: link.scope,
    };
  }

  async function assume(p: ProviderRow & { role_arn: string }, req: CredentialRequest, what: ReturnType<typeof sessionFacts>): Promise<Credentials> {
    const ids = { orgId: req.orgId, appId: req.appId, stage: req.stage };
    const common = {
      RoleArn: p.role_arn,
      RoleSessionName: what.sessionName,
      DurationSeconds: p.session_duration_seconds,
      ...(what.policy ? { Policy: what.policy } : {}),
    };
    const fix = `Run \`hangar providers verify ${p.name}\` to see which check fails and how to fix the role.`;
    try {
      const out = await withSts(stsClient(config.aws, p.region), async (c) => {
        if (p.mode === 'assume-role') {
          return c.send(new AssumeRoleCommand({ ...common, ExternalId: p.external_id, SourceIdentity: sourceIdentity(req.actor.name), Tags: sessionTags(ids) }));
        }
        // Web identity: tags and source identity travel as claims of the engine-signed token.
        const token = await deps.oidc.sign(oidcSubject(ids), {
          'https://aws.amazon.com/tags': { principal_tags: Object.fromEntries(sessionTags(ids).map((t) => [t.Key, [t.Value]])) },
          'https://aws.amazon.com/source_identity': sourceIdentity(req.actor.name),
        });
        return c.send(new AssumeRoleWithWebIdentityCommand({ ...common, WebIdentityToken: token }));
      });
      if (!out.Credentials?.AccessKeyId || !out.Credentials.SecretAccessKey) throw new Error('STS answered without credentials');
      return out.Credentials;
    } catch (err) {
      throw assumeFailed(err, p.role_arn, fix);
    }
  }

  async function open(req: CredentialRequest): Promise<CredentialSession> {
    const p = await repo.find(req.orgId, req.provider.id);
    if (!p) {
      // Scoped by org: another org's provider does not exist here, whatever id is passed in.
      throw new HangarError('PROVIDER_NOT_CONFIGURED', `Provider "${req.provider.name}" is not a provider of this organisation. ${notConfiguredMessage({ appLabel: req.appId, stage: req.stage, publicUrl: config.publicUrl })}`);
    }
    if (p.status !== 'verified' || !p.role_arn) {
      throw new HangarError('PROVIDER_NOT_VERIFIED', `Provider "${req.provider.name}" is no longer verified in this organisation; run \`hangar providers verify ${req.provider.name}\`.`);
    }
    const provider = p as ProviderRow & { role_arn: string };
    const what = sessionFacts(req);
    const secrets: string[] = [];
    let closed = false;

    /**
     * Intent first: `credentials.requested` is written before STS is called, and if it cannot be
     * written STS is not called at all, so no session exists without an audit event. Then
     * `credentials.issued` (with the expiry) or `credentials.failed` (with the AWS error code).
     */
    async function issue(refresh: boolean): Promise<SessionCredentials> {
      const about = { orgId: req.orgId, actor: req.actor.name, subject: what.subject };
      const facts = {
        purpose: what.purpose,
        providerId: provider.id, provider: provider.name, mode: provider.mode, roleArn: provider.role_arn, linkedAt: req.provider.linkedAt,
        sessionName: what.sessionName, sourceIdentity: sourceIdentity(req.actor.name), actorKind: req.actor.kind, actorId: req.actor.id, userId: req.actor.userId,
        tags: Object.fromEntries(sessionTags(req).map((t) => [t.Key, t.Value])),
        sessionPolicy: what.narrowed, refresh,
        // An operation's policy names exact actions and resources: on record, so an auditor sees what the session could do.
        ...(req.policy ? { policy: req.policy } : {}),
      };
      try {
        await audit.append({ ...about, kind: 'credentials.requested', data: facts });
      } catch (err) {
        logger.error('the credentials.requested audit event could not be written; STS was not called', { subject: what.subject, err });
        throw new HangarError('AUDIT_WRITE_FAILED',
          `Credentials for ${what.label} were not requested: the audit event that must come first could not be written (${storeReason(err)}). ` +
          `No session was created. Check the engine's database (locked, full or unreachable), then ${what.purpose === 'deploy' ? 'deploy' : 'try'} again.`, { cause: err });
      }
      let c: Credentials;
      try {
        c = await assume(provider, req, what);
      } catch (err) {
        const details = err instanceof HangarError ? err.details : undefined;
        await audit.append({ ...about, kind: 'credentials.failed', data: { ...facts, awsCode: details?.awsCode ?? 'UnknownError', requestId: details?.requestId ?? null } })
          .catch((e: unknown) => logger.error('the credentials.failed audit event could not be written', { subject: what.subject, err: e }));
        throw err;
      }
      const creds = new SessionCredentials({ accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken, expiration: c.Expiration });
      for (const s of creds.secrets()) { logger.addSecret(s); secrets.push(s); }
      if (closed) { for (const s of secrets.splice(0)) logger.removeSecret(s); } // a refresh that outlived close()
      try {
        await audit.append({
          ...about, kind: 'credentials.issued',
          data: { ...facts, expiresAt: creds.expiration?.toISOString() ?? null, accessKeyIdLast4: keyIdTail(c.AccessKeyId!) },
        });
      } catch (err) {
        // Fail closed: credentials whose issuance is not on record are never handed out.
        logger.error('the credentials.issued audit event could not be written; the session is discarded unused', { subject: what.subject, err });
        throw new HangarError('AUDIT_WRITE_FAILED',
          `STS issued session ${what.sessionName} but its audit event could not be written (${storeReason(err)}), so the credentials were discarded unused ` +
          `(the \`credentials.requested\` event records the attempt). Check the engine's database, then ${what.purpose === 'deploy' ? 'deploy' : 'try'} again.`, { cause: err });
      }
      return creds;
    }

    let creds = await issue(false);
    let refreshing: Promise<SessionCredentials> | undefined;
    return {
      region: provider.region,
      endpoint: config.aws.endpoint,
      async current() {
        if (closed) throw new HangarError('INTERNAL', `The credential session for ${what.label} was used after it closed.`);
        if (!needsRefresh(creds.expiration, clock.now())) return creds;
        refreshing ??= issue(true).then((c) => { creds = c; return c; }).finally(() => { refreshing = undefined; });
        return refreshing;
      },
      close() {
        if (closed) return;
        closed = true;
        for (const s of secrets.splice(0)) logger.removeSecret(s);
      },
    };
  }

  return { resolve, open };
}
