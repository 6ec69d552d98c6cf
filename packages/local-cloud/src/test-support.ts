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

/** Signs a raw request the way any SigV4 client would, then sends it with fetch. */
export async function signedFetch(
  endpoint: string, c: Creds,
  opts: { service: string; method?: string; path?: string; body?: string; headers?: Record<string, string>; query?: Record<string, string>; presign?: boolean },
): Promise<Response> {
  const { SignatureV4 } = await import('@smithy/signature-v4');
  const { HttpRequest } = await import('@smithy/protocol-http');
  const { Sha256 } = await import('@aws-crypto/sha256-js');
  const url = new URL(endpoint);
  const signer = new SignatureV4({ credentials: credentials(c), region: 'us-east-1', service: opts.service, sha256: Sha256 });
  const request = new HttpRequest({
    method: opts.method ?? 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: opts.path ?? '/',
    query: opts.query ?? {}, headers: { host: url.host, ...(opts.headers ?? {}) }, body: opts.body,
  });
  const signed = opts.presign ? await signer.presign(request) : await signer.sign(request);
  const qs = Object.entries(signed.query ?? {}).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) if (k !== 'host') headers[k] = v;
  return fetch(`${endpoint}${signed.path}${qs ? `?${qs}` : ''}`, { method: signed.method, headers, body: opts.body });
}

export const form = (params: Record<string, string>): { body: string; headers: Record<string, string> } => ({
  body: new URLSearchParams(params).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
});
