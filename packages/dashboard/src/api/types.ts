// The shapes the dashboard reads from the engine: the engine's API contract (`@hangar/core/api`),
// imported as types only (nothing of it, nor zod, is bundled). A renamed field breaks this build.
import type { ApiRole, AuditVerification, getProvider, ReplyOf, SessionInfo as SessionReply, verifyProviderRoute } from '@hangar/core/api';

export type {
  AuditEvent, Deployment, DeploymentError, Instance, LogLine, Member, Provider, ProviderLink, ProviderSetup, TokenInfo, Verification, VerifyCheck,
} from '@hangar/core/api';

export type Role = ApiRole;
export const roleRank: Record<Role, number> = { viewer: 0, deployer: 1, admin: 2, owner: 3 };

export type SessionInfo = SessionReply;
export type SessionOrg = SessionInfo['orgs'][number];
export type AuditVerify = AuditVerification;
/** A provider as GET/POST/PATCH answer it: with its role setup. */
export type ProviderWithSetup = ReplyOf<typeof getProvider>;
export type VerifyResult = ReplyOf<typeof verifyProviderRoute>;
