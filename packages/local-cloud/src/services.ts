/**
 * The services a local cloud serves besides IAM and STS (which are always there, being part of
 * authentication). Lambda, API Gateway and CloudWatch Logs are added here as they land.
 */
import type { ServiceFactory } from './internal/contract.js';

export const defaultServices: readonly ServiceFactory[] = [];
