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
