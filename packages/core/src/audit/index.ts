/**
 * `@hangar/core/audit`: the audit log's hash chain, signed checkpoints and the export format,
 * with a verifier the CLI runs itself. Uses `node:crypto` only.
 */
export { canonicalJson, eventHash, checkpointMaterial, checkpointSignatureValid, keyIdOf } from './chain.js';
export type { ChainedFields, CheckpointFields } from './chain.js';
export { AUDIT_EXPORT_FORMAT, parseAuditExport } from './export.js';
export type { AuditExport, AuditPublicKey, ExportedCheckpoint, ExportedEvent } from './export.js';
export { verifyAuditExport } from './verify.js';
export type { AuditProblem, AuditVerifyReport, VerifyExportOptions } from './verify.js';
