/** Helpers shared by this package's tests: clients pointed at a running local cloud. */
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';

export interface Creds {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

function credentials(c: Creds): AwsCredentialIdentity {
  return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken };
}

export function stsClient(endpoint: string, c: Creds, extra: { maxAttempts?: number; systemClockOffset?: number } = {}): STSClient {
  return new STSClient({ endpoint, region: 'us-east-1', credentials: credentials(c), maxAttempts: extra.maxAttempts ?? 1, systemClockOffset: extra.systemClockOffset });
}

export function iamClient(endpoint: string, c: Creds, extra: { maxAttempts?: number; systemClockOffset?: number } = {}): IAMClient {
  return new IAMClient({ endpoint, region: 'us-east-1', credentials: credentials(c), maxAttempts: extra.maxAttempts ?? 1, systemClockOffset: extra.systemClockOffset });
}

/** Asserts the promise rejects with an SDK error of this name (and status, when given). */
export async function rejectsWith(p: Promise<unknown>, name: string, status?: number): Promise<Error & { $metadata?: { httpStatusCode?: number; requestId?: string } }> {
  try {
    await p;
  } catch (e) {
    const err = e as Error & { $metadata?: { httpStatusCode?: number } };
    if (err.name !== name) throw new Error(`expected ${name}, got ${err.name}: ${err.message}`);
    if (status !== undefined && err.$metadata?.httpStatusCode !== status) {
      throw new Error(`expected HTTP ${status} for ${name}, got ${String(err.$metadata?.httpStatusCode)}`);
    }
    return err;
  }
  throw new Error(`expected ${name}, but the call succeeded`);
}

export const trustAccount = (accountId: string, condition?: unknown): string => JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: 'sts:AssumeRole', ...(condition ? { Condition: condition } : {}) }],
});
