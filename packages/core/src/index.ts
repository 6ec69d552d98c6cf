export { errorCodes, HangarError, isErrorCode, isHangarError } from './errors.js';
export type { ErrorCode, ErrorSpec, Fault } from './errors.js';
export { SessionCredentials } from './credentials.js';
export type { AwsCredentialIdentity } from './credentials.js';
