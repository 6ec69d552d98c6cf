import { ApiGatewayV2Client } from '@aws-sdk/client-apigatewayv2';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { awsClientConfig } from '../sdk/aws-clients.js';
import type { ComponentContext } from '../sdk/component.js';

/** The AWS clients http-function calls, passed in so tests can wrap or count them. */
export interface HttpFunctionClients {
  readonly iam: IAMClient;
  readonly lambda: LambdaClient;
  readonly apigw: ApiGatewayV2Client;
}

export function createHttpFunctionClients(ctx: Pick<ComponentContext, 'credentials' | 'region' | 'endpoint'>): HttpFunctionClients {
  const config = awsClientConfig(ctx);
  // IAM is global: real AWS signs it for us-east-1 whatever region the rest lives in.
  return { iam: new IAMClient({ ...config, region: ctx.endpoint ? ctx.region : 'us-east-1' }), lambda: new LambdaClient(config), apigw: new ApiGatewayV2Client(config) };
}

export function destroyHttpFunctionClients(clients: HttpFunctionClients): void {
  clients.iam.destroy();
  clients.lambda.destroy();
  clients.apigw.destroy();
}
