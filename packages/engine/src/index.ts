export { createEngine } from './engine.js';
export type { CreateEngineOptions, DrainResult, Engine, RouteInfo } from './engine.js';
export { runEngineServer } from './server.js';
export type { RunEngineServerOptions, RunningEngine } from './server.js';
export { loadConfigFromEnv, resolveConfig, engineSettingsSchema, parseDatabaseUrl, ENGINE_ENV_VARS } from './config.js';
export type { EngineSettings, EngineServerOptions } from './config.js';
export { createLogContext, createLogger, scrubberOf } from './logger.js';
export type { LogContext, LoggerOptions, LogLevel, ScrubbingLogger } from './logger.js';
export { openStore, dialectOf } from './store/db.js';
export { isUniqueViolation, storeUnavailable } from './store/errors.js';
export { lockDataDir } from './store/data-dir-lock.js';
export type { DataDirLock, LockHolder } from './store/data-dir-lock.js';
export { newId } from './store/ids.js';
export type { Store, Dialect } from './store/db.js';
export { createAudit } from './audit/audit.js';
export type { Audit, AuditEvent, AuditOptions, AuditQuery, VerifyResult } from './audit/audit.js';
export type { Bootstrap } from './platform.js';
export type { Org, User, Member, OrgWithRole } from './orgs/orgs.js';
export type { TokenInfo, CreatedToken } from './tokens/tokens.js';
export type { Authenticator, Identity, RouteAuthConfig } from './http/auth.js';
export { requireRole } from './http/guard.js';
export { parse } from './http/validate.js';
export { roleRank } from './types.js';
export type {
  Actor, AuditApi, AuditEventInput, Clock, CoreDeps, CredentialBroker, CredentialPurpose, CredentialRequest, CredentialSession,
  DeploymentCredentialRequest, OperationCredentialRequest, SessionPolicyDocument,
  Database, Db, EngineConfig, Feature, Logger, RequestAuth, ResolvedProvider, Role,
} from './types.js';
export { createTestEngine, openTestStore, testDatabases, testPostgresUrl, startTestIssuer } from './testing.js';
export type { TestEngine, TestEngineOptions, TestStore, TestIssuer } from './testing.js';
export { parseSse } from './deployments/_sse.js';
export { listFsBlobs } from './source/blob-store.js';
export type { SseEvent } from './deployments/_sse.js';
