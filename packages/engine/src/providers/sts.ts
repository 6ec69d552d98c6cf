/**
 * STS through the AWS SDK, with the engine's configured identity and endpoint. A client is built
 * per call and destroyed after it, so no credentials outlive the call in a shared object.
 */
import { STSClient } from '@aws-sdk/client-sts';
import { HangarError } from '@hangar/core';
import type { EngineConfig } from '../types.js';

export type AwsCredentialsInput = { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };

export function stsClient(aws: EngineConfig['aws'], region: string, credentials?: AwsCredentialsInput | (() => Promise<AwsCredentialsInput>)): STSClient {
  return new STSClient({
    region,
    ...(aws.endpoint ? { endpoint: aws.endpoint } : {}),
    // No configured key: leave `credentials` unset so the SDK's default chain finds the engine's role.
    ...(credentials ? { credentials } : aws.credentials ? { credentials: { accessKeyId: aws.credentials.accessKeyId, secretAccessKey: aws.credentials.secretAccessKey } } : {}),
    maxAttempts: 2,
  });
}

/** Runs one call on a fresh client and destroys it. */
export async function withSts<T>(client: STSClient, fn: (c: STSClient) => Promise<T>): Promise<T> {
  try { return await fn(client); } finally { client.destroy(); }
}

/** The facts of an AWS error a person may see: its code and request id, never headers or signatures. */
export function awsErrorFacts(err: unknown): { awsCode: string; requestId: string | undefined; message: string } {
  const e = err as { name?: unknown; message?: unknown; $metadata?: { requestId?: unknown } };
  const awsCode = typeof e?.name === 'string' ? e.name : 'UnknownError';
  const requestId = typeof e?.$metadata?.requestId === 'string' ? e.$metadata.requestId : undefined;
  const message = typeof e?.message === 'string' ? scrubAwsMessage(e.message) : '';
  return { awsCode, requestId, message };
}

/** AWS messages can quote a canonical request or string-to-sign; keep only the first sentence. */
function scrubAwsMessage(msg: string): string {
  const first = msg.split(/\n|The Canonical String|The String-to-Sign/)[0] ?? '';
  return first.slice(0, 300).trim();
}

export function isAccessDenied(err: unknown): boolean {
  return awsErrorFacts(err).awsCode === 'AccessDenied' || awsErrorFacts(err).awsCode === 'AccessDeniedException';
}

/** PROVIDER_ASSUME_FAILED with the AWS code and request id; the message names the role and the fix. */
export function assumeFailed(err: unknown, roleArn: string, fix: string): HangarError {
  const f = awsErrorFacts(err);
  const rid = f.requestId ? `, request id ${f.requestId}` : '';
  return new HangarError(
    'PROVIDER_ASSUME_FAILED',
    `AWS refused to let the engine assume ${roleArn}: ${f.awsCode}${f.message ? ` (${f.message})` : ''}${rid}. ${fix}`,
    { details: { awsCode: f.awsCode, requestId: f.requestId, roleArn } },
  );
}
