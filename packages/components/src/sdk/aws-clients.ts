import type { AwsCredentialIdentity } from '@hangar/core';
import type { ComponentContext } from './component.js';

/** What every AWS SDK v3 client a component builds gets: nothing read from the environment. */
export interface AwsClientConfig {
  readonly region: string;
  readonly endpoint?: string;
  readonly credentials: () => Promise<AwsCredentialIdentity>;
  readonly maxAttempts: number;
  readonly useFipsEndpoint: boolean;
  readonly useDualstackEndpoint: boolean;
  readonly ignoreConfiguredEndpointUrls: boolean;
}

/**
 * SDK client settings for a component context: `new LambdaClient(awsClientConfig(ctx))`.
 * The credentials provider reads `ctx.credentials` on every resolution, so a client outlives a
 * refresh; region and endpoint come from the context, never from `AWS_*` variables or files.
 */
export function awsClientConfig(ctx: Pick<ComponentContext, 'credentials' | 'region' | 'endpoint'>): AwsClientConfig {
  return {
    region: ctx.region,
    ...(ctx.endpoint ? { endpoint: ctx.endpoint } : {}),
    credentials: () => ctx.credentials.toProvider()(),
    maxAttempts: 3,
    useFipsEndpoint: false,
    useDualstackEndpoint: false,
    // AWS_ENDPOINT_URL* or endpoint_url in a config file must never send our session token elsewhere.
    ignoreConfiguredEndpointUrls: true,
  };
}
