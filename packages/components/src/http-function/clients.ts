import { ApiGatewayV2Client } from '@aws-sdk/client-apigatewayv2';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { awsClientConfig } from '../sdk/aws-clients.js';
import type { ComponentContext } from '../sdk/component.js';

/** The AWS clients http-function calls, passed in so tests can wrap or count them. */
export interface HttpFunctionClients {
  readonly iam: IAMClient;
  readonly lambda: LambdaClient;
  readonly apigw: ApiGatewayV2Client;
  /** CloudWatch Logs, for the function's log group. */
  readonly logs: CloudWatchLogsClient;
}

export function createHttpFunctionClients(ctx: Pick<ComponentContext, 'credentials' | 'region' | 'endpoint'>): HttpFunctionClients {
  const config = awsClientConfig(ctx);
  // IAM is global; the SDK's endpoint rules send it to the partition's IAM endpoint from any region.
  return { iam: new IAMClient(config), lambda: new LambdaClient(config), apigw: new ApiGatewayV2Client(config), logs: new CloudWatchLogsClient(config) };
}

export function destroyHttpFunctionClients(clients: HttpFunctionClients): void {
  clients.iam.destroy();
  clients.lambda.destroy();
  clients.apigw.destroy();
  clients.logs.destroy();
}
