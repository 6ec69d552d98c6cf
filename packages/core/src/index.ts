export { errorCodes, HangarError, isErrorCode, isHangarError } from './errors.js';
export type { ErrorCode, ErrorSpec, Fault } from './errors.js';
export { SessionCredentials } from './credentials.js';
export type { AwsCredentialIdentity } from './credentials.js';
export { manifestId, applyDelta, invalidPathReason, findPathConflict, printablePath, normalizeMode } from './manifest.js';
export type { ManifestEntry, SourceUploadRequest, SourceUploadResponse } from './manifest.js';
export { parseProject, formatIssues, projectFileNames, checkProjectShape, resolveString, resolveVariables } from './project/index.js';
export type { ParseProjectOptions, ProjectFile, ProjectIssue, ResolvedProject, SourceInput, VariableContext } from './project/index.js';
export { checkHandlerFile, handlerFileCandidates } from './handler-file.js';
