// Shapes the dashboard reads from the engine (docs/api.md). Kept loose where the engine may add fields.
export type Role = 'owner' | 'admin' | 'deployer' | 'viewer';
export const roleRank: Record<Role, number> = { viewer: 0, deployer: 1, admin: 2, owner: 3 };

export interface SessionOrg { id: string; name: string; role: Role }
export interface SessionInfo {
  user: { id: string; name: string; email?: string | null };
  orgs: SessionOrg[];
  csrfToken: string;
  expiresAt: string;
}

export interface TokenInfo {
  id: string; orgId: string; userId: string; name: string; prefix: string;
  createdAt: string; lastUsedAt: string | null; revokedAt: string | null;
}
export interface Member { id: string; email: string; name: string; role: Role }

export interface AuditEvent {
  seq: number; id: string; ts: string; kind: string; actor: string; subject: string | null;
  data: Record<string, unknown>;
}
export type AuditVerify =
  | { ok: true; count: number }
  | { ok: false; count: number; brokenAt: { seq: number; id: string | null; reason: string } };

export interface VerifyCheck { id: string; title: string; passed: boolean; detail: string; fix: string | null }
export interface Verification { status: 'verified' | 'failed'; code?: string; message?: string; roleArn: string; at: string; checks: VerifyCheck[] }
export interface ProviderLink { id: string; scope: 'org' | 'app' | 'app-stage' | 'instance'; appId: string | null; app: string | null; stage: string | null; instanceId: string | null; createdAt: string }
export interface ProviderSetup {
  externalId: string;
  enginePrincipal: string;
  trustPolicy: unknown;
  cloudFormationTemplate: string;
  consoleUrl: string | null;
  oidc?: { issuer: string; audience: string; subjectPattern: string; providerArn: string };
}
export interface Provider {
  id: string; name: string; mode: 'assume-role' | 'web-identity'; roleArn: string | null; accountId: string | null; region: string;
  sessionDurationSeconds: number; externalId: string; status: 'pending' | 'verified' | 'failed';
  lastVerification: Verification | null; links: ProviderLink[]; createdAt: string; createdBy: string; updatedAt: string;
  setup?: ProviderSetup;
}
export interface VerifyResult { status: 'verified' | 'failed'; code?: string; message?: string; checks: VerifyCheck[]; provider: Provider }

export interface DeploymentError { code: string; message: string; awsCode?: string | null; requestId?: string | null }
export interface Deployment {
  id: string; appId: string; app: string; instanceId: string; stage: string; name: string; component: string;
  action: 'deploy' | 'remove'; status: 'queued' | 'running' | 'succeeded' | 'failed'; actor: string;
  provider: { id: string; name: string | null; roleArn: string | null } | null;
  outputs: Record<string, unknown> | null; error: DeploymentError | null;
  createdAt: string; startedAt: string | null; finishedAt: string | null; durationMs: number | null;
}
export interface Instance {
  id: string; appId: string; app: string; stage: string; name: string; component: string;
  status: 'new' | 'deployed' | 'failed' | 'removed';
  inputs: Record<string, unknown>; outputs: Record<string, unknown>; updatedAt: string;
  lastDeployment: { id: string; action: string; status: string; actor: string; createdAt: string; finishedAt: string | null; durationMs: number | null; error: { code: string; message: string } | null } | null;
}
export interface LogLine { seq: number; ts: string; level: string; message: string }
