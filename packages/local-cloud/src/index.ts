/**
 * @hangar/local-cloud: an AWS-compatible endpoint (SigV4, IAM, STS, and the services listed in
 * `defaultServices`) for development and tests. See README.md.
 */
export { startLocalCloud } from './server/start.js';
export type { LocalCloud, LocalCloudOptions, AccountCredentials } from './server/start.js';
export { createAccount, advanceClock, type AdminAuth } from './admin-client.js';
export { defaultServices } from './services.js';
export { AwsError } from './internal/contract.js';
export type {
  CloudContext, CloudRuntime, DataPlaneRoute, IdentityApi, Principal, Service, ServiceFactory, ServiceRequest,
  ServiceResponse, TemporaryCredentials,
} from './internal/contract.js';
