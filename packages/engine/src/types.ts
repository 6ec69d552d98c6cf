/**
 * The seams inside the engine. Each feature (platform, providers, deployments, dashboard session)
 * lives in its own folder, declares its tables by augmenting `Database`, ships its own migrations,
 * and registers its own routes; `createEngine` (engine.ts) wires them together.
 */
import type { FastifyInstance } from 'fastify';
import type { Kysely, Migration } from 'kysely';
import type { SessionCredentials } from '@hangar/core';

export type Role = 'owner' | 'admin' | 'deployer' | 'viewer';
export const roleRank: Readonly<Record<Role, number>> = { viewer: 0, deployer: 1, admin: 2, owner: 3 };

/** Who did something: a signed-in user, an API token acting for its user, or a CI token of a CI trust. */
export interface Actor {
  readonly kind: 'user' | 'token' | 'ci';
  /** user id, token id or CI token id */
  readonly id: string;
  readonly userId: string;
  /** Stable, printable attribution, e.g. "user:alice" or "token:ci-deploy"; used as STS SourceIdentity. */
  readonly name: string;
}

/** Set on every request under /api/v1/orgs/:orgId by the platform's auth hook. */
export interface RequestAuth {
  readonly orgId: string;
  readonly userId: string;
  readonly role: Role;
  readonly actor: Actor;
  /** Set for CI tokens: the only app and stage this credential may deploy (see http/scope.ts). */
  readonly scope?: CredentialScope;
}

/** What a scoped credential (a CI token) may touch. */
export interface CredentialScope { readonly app: string; readonly stage: string }

export interface Clock { now(): Date }

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
  /** Register a secret value; it is replaced by "[REDACTED]" in every line this logger (and its children) writes. */
  addSecret(value: string): void;
  removeSecret(value: string): void;
}

/** Tables, declared by each feature via `declare module '../types.js' { interface Database { ... } }`. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Database {}
export type Db = Kysely<Database>;

export interface AuditEventInput {
  readonly orgId: string;
  /** e.g. provider.created, provider.verified, provider.linked, provider.deleted, credentials.issued,
   * deployment.started, deployment.finished, token.created, token.revoked */
  readonly kind: string;
  /** Actor name (Actor.name) or "engine". */
  readonly actor: string;
  /** What it is about, e.g. "provider:prv_…" or "deployment:dep_…". */
  readonly subject?: string;
  /** Facts, never secrets. */
  readonly data: Readonly<Record<string, unknown>>;
}
export interface AuditApi { append(event: AuditEventInput): Promise<void> }

export interface EngineConfig {
  /** The engine's public URL (OIDC issuer, links in messages), e.g. http://127.0.0.1:7300 */
  readonly publicUrl: string;
  readonly dataDir: string;
  readonly database: { readonly kind: 'sqlite'; readonly path: string } | { readonly kind: 'postgres'; readonly url: string };
  /** The engine's own AWS identity and where AWS is. */
  readonly aws: {
    readonly region: string;
    /** Undefined for real AWS; the local cloud's URL in the embedded default and in tests. */
    readonly endpoint?: string;
    /**
     * The engine's own long-lived key (HANGAR_ENGINE_ACCESS_KEY_ID / _SECRET_ACCESS_KEY). When absent,
     * the AWS SDK's default provider chain supplies the identity (ECS task role, EC2 instance profile,
     * EKS web-identity file…): the only place Hangar lets the SDK find credentials on its own, and
     * only in the engine process, which runs on the operator's infrastructure (never in the CLI).
     */
    readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  };
  readonly limits: { readonly maxFiles: number; readonly maxTotalBytes: number; readonly maxFileBytes: number; readonly maxManifestEntries: number };
  /** Deployment workers in this process. */
  readonly workers: number;
  /** Signed audit checkpoints: after `checkpointEvery` events of an org, or every `checkpointIntervalMs` (default 100 / 15 min). */
  readonly audit?: { readonly checkpointEvery: number; readonly checkpointIntervalMs: number };
  /** CI trusts: accept loopback http issuers (tests, the local cloud); default false. */
  readonly ci?: { readonly allowInsecureIssuers: boolean };
}

/** What every feature is given. */
export interface CoreDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly audit: AuditApi;
  readonly config: EngineConfig;
}

export interface Feature {
  readonly name: string;
  /** Kysely migrations, named "NNNN_feature_what" so they sort in dependency order:
   * 0000-0099 platform (orgs, users, tokens, audit), 0100-0199 providers, 0200-0299 deployments, 0300-0399 dashboard. */
  readonly migrations: Record<string, Migration>;
  /** Register routes (under /api/v1/...) on the engine's Fastify instance. */
  register(app: FastifyInstance): Promise<void>;
  start?(): Promise<void>;
  /** Stop taking new work and wait up to `graceMs` for work in progress; report what is still running. */
  drain?(graceMs: number): Promise<{ readonly stillRunning: readonly string[] }>;
  stop?(): Promise<void>;
}

/** A provider resolved for a deployment. */
export interface ResolvedProvider {
  readonly id: string;
  readonly name: string;
  readonly mode: 'assume-role' | 'web-identity';
  readonly roleArn: string;
  readonly region: string;
  readonly sessionDurationSeconds: number;
  /** Which link matched: instance, app+stage, app or org default. */
  readonly linkedAt: 'instance' | 'app-stage' | 'app' | 'org';
}

/** What a session is for: a deployment, or a keyless operation on a deployed instance. */
export type CredentialPurpose = 'deploy' | 'logs' | 'invoke';

/** An IAM policy document passed to STS as a session policy (narrowing the role, never widening it). */
export interface SessionPolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly {
    readonly Sid?: string;
    readonly Effect: 'Allow' | 'Deny';
    readonly Action: readonly string[];
    readonly Resource: readonly string[];
  }[];
}

interface CredentialRequestBase {
  readonly orgId: string;
  readonly appId: string;
  readonly stage: string;
  readonly instanceId: string;
  readonly actor: Actor;
  readonly provider: ResolvedProvider;
}

/** A session for one deployment (session name `hangar-<deploymentId>`, audit subject `deployment:<id>`). */
export interface DeploymentCredentialRequest extends CredentialRequestBase {
  readonly purpose?: 'deploy';
  readonly deploymentId: string;
  /** IAM actions the component declares; narrows the session with a session policy when set. */
  readonly permissions?: readonly string[];
  readonly policy?: never;
}

/**
 * A session for an operation on a deployed instance (reading its function's logs, invoking it):
 * session name `hangar-<purpose>-<instanceId>`, audit subject `instance:<id>`, always narrowed by
 * `policy` to exactly the actions and resources the operation needs.
 */
export interface OperationCredentialRequest extends CredentialRequestBase {
  readonly purpose: Exclude<CredentialPurpose, 'deploy'>;
  readonly policy: SessionPolicyDocument;
  readonly deploymentId?: never;
  readonly permissions?: never;
}

export type CredentialRequest = DeploymentCredentialRequest | OperationCredentialRequest;

/** Credentials for one deployment or operation, held in this process only and refreshed before expiry. */
export interface CredentialSession {
  current(): Promise<SessionCredentials>;
  readonly region: string;
  readonly endpoint: string | undefined;
  close(): void;
}

export interface CredentialBroker {
  /** Instance link, then app+stage, then app, then org default; throws HangarError PROVIDER_NOT_CONFIGURED naming the fix. */
  resolve(target: { orgId: string; appId: string; stage: string; instanceId: string }): Promise<ResolvedProvider>;
  /** Issues (and audits) temporary credentials for one deployment or one operation on an instance. */
  open(request: CredentialRequest): Promise<CredentialSession>;
}
