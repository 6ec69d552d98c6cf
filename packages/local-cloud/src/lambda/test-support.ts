/**
 * Test helpers for the compute services: a cloud with an account and a Lambda execution role,
 * SDK clients pointed at it, and zips built in memory. Used by tests and the benchmark only.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync, strToU8 } from 'fflate';
import { ApiGatewayV2Client } from '@aws-sdk/client-apigatewayv2';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { STSClient } from '@aws-sdk/client-sts';
import { createAccount, startLocalCloud, type LocalCloud } from '../index.js';

export const ACCOUNT = '111111111111';
export const REGION = 'us-east-1';

export function zipOf(files: Record<string, string>): Uint8Array {
  return zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, strToU8(v)])));
}

export interface Clients {
  lambda: LambdaClient;
  apigw: ApiGatewayV2Client;
  logs: CloudWatchLogsClient;
  iam: IAMClient;
  sts: STSClient;
}

export function clientsFor(endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string }): Clients {
  // Two attempts: the SDK retries a keep-alive socket the server closed just as it was reused
  // (the server's 5 s keep-alive timeout); AWS errors are not retried either way.
  const cfg = { endpoint, region: REGION, credentials, maxAttempts: 2 };
  return {
    lambda: new LambdaClient(cfg), apigw: new ApiGatewayV2Client(cfg), logs: new CloudWatchLogsClient(cfg),
    iam: new IAMClient(cfg), sts: new STSClient(cfg),
  };
}

export async function startCompute(dataDir?: string): Promise<LocalCloud> {
  // The default services: Lambda, API Gateway and Logs as `src/services.ts` wires them.
  return startLocalCloud({ port: 0, dataDir, log: () => undefined });
}

export interface Fixture {
  cloud: LocalCloud;
  dataDir: string;
  root: { accessKeyId: string; secretAccessKey: string };
  c: Clients;
  roleArn: string;
}

/** A cloud on a fresh data dir with account 111111111111 and a role Lambda may assume. */
export async function fixture(): Promise<Fixture> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hangar-compute-'));
  const cloud = await startCompute(dataDir);
  const root = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId: ACCOUNT });
  const c = clientsFor(cloud.endpoint, root);
  const role = await c.iam.send(new CreateRoleCommand({
    RoleName: 'fn-role',
    AssumeRolePolicyDocument: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    }),
  }));
  return { cloud, dataDir, root, c, roleArn: role.Role?.Arn as string };
}

export function destroyClients(c: Clients) {
  for (const x of Object.values(c)) x.destroy();
}

/** Stops what `fixture()` started and deletes its data dir. */
export async function closeFixture(fx: Fixture): Promise<void> {
  destroyClients(fx.c);
  await fx.cloud.stop();
  await rm(fx.dataDir, { recursive: true, force: true });
}
