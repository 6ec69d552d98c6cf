/**
 * Lambda's persistent records and the FunctionConfiguration shape AWS answers with.
 */
import type { PolicyStatement } from './policy.js';

export interface FunctionRecord {
  accountId: string;
  region: string;
  name: string;
  runtime: string;
  role: string;
  handler: string;
  description: string;
  timeout: number;
  memorySize: number;
  environment: Record<string, string>;
  codeSha256: string;
  codeSize: number;
  /** Directory of the unzipped code relative to the code root (the zip sits next to it). */
  codeDir: string;
  /** Unguessable part of the code download URL GetFunction answers. */
  codeToken: string;
  lastModified: string;
  revisionId: string;
  state: 'Pending' | 'Active' | 'Failed' | 'Inactive';
  lastUpdateStatus: 'InProgress' | 'Successful' | 'Failed';
  policy: PolicyStatement[];
  policyRevisionId?: string;
  tags: Record<string, string>;
  architectures: string[];
  /** Bumped on every code or configuration change; warm sandboxes of older generations retire. */
  generation: number;
  /** Sum of the unzipped code's file sizes (absent in records from before layers). */
  unzippedSize?: number;
  /** The function's layers in order, as attached (a deleted layer version stays usable here). */
  layers?: FunctionLayer[];
  /** The folder (relative to the code root) where the layers are merged: this function's `/opt`. */
  optDir?: string;
}

export interface FunctionLayer {
  arn: string;
  codeSize: number;
  unzippedSize: number;
}

export interface LayerVersionRecord {
  version: number;
  description: string;
  licenseInfo?: string;
  compatibleRuntimes?: string[];
  compatibleArchitectures?: string[];
  createdDate: string;
  codeSha256: string;
  codeSize: number;
  unzippedSize: number;
  /** The unzipped content relative to the code root (the zip sits next to it). */
  dir: string;
  /** Unguessable part of the content download URL GetLayerVersion answers. */
  codeToken: string;
  /** AddLayerVersionPermission's statements (sharing with other accounts). */
  policy?: LayerStatement[];
  policyRevisionId?: string;
}

export interface LayerStatement {
  Sid: string;
  Effect: 'Allow';
  Principal: '*' | { AWS: string };
  Action: 'lambda:GetLayerVersion';
  Resource: string;
  Condition?: Record<string, Record<string, string>>;
}

export interface LayerRecord {
  accountId: string;
  region: string;
  name: string;
  /** The last version number given; numbers are never reused, even after a deletion. */
  latest: number;
  versions: Record<string, LayerVersionRecord>;
}

export interface LambdaState {
  functions: Record<string, FunctionRecord>;
  layers?: Record<string, LayerRecord>;
}

export const layerArn = (l: { region: string; accountId: string; name: string }) =>
  `arn:aws:lambda:${l.region}:${l.accountId}:layer:${l.name}`;

export const functionKey = (accountId: string, region: string, name: string) => `${accountId}/${region}/${name}`;

export const functionArn = (f: { region: string; accountId: string; name: string }) =>
  `arn:aws:lambda:${f.region}:${f.accountId}:function:${f.name}`;

export const logGroupOf = (name: string) => `/aws/lambda/${name}`;

/** `2019-08-14T22:26:11.234+0000`, the form Lambda uses for LastModified. */
export function lambdaTimestamp(d: Date): string {
  return d.toISOString().replace('Z', '+0000');
}

export function configurationOf(f: FunctionRecord): Record<string, unknown> {
  return {
    FunctionName: f.name,
    FunctionArn: functionArn(f),
    Runtime: f.runtime,
    Role: f.role,
    Handler: f.handler,
    CodeSize: f.codeSize,
    Description: f.description,
    Timeout: f.timeout,
    MemorySize: f.memorySize,
    LastModified: f.lastModified,
    CodeSha256: f.codeSha256,
    Version: '$LATEST',
    ...(Object.keys(f.environment).length ? { Environment: { Variables: { ...f.environment } } } : {}),
    TracingConfig: { Mode: 'PassThrough' },
    RevisionId: f.revisionId,
    State: f.state,
    ...(f.state === 'Pending'
      ? { StateReason: 'The function is being created.', StateReasonCode: 'Creating' }
      : {}),
    LastUpdateStatus: f.lastUpdateStatus,
    ...(f.lastUpdateStatus === 'InProgress'
      ? { LastUpdateStatusReason: 'The function is being created.', LastUpdateStatusReasonCode: 'Creating' }
      : {}),
    PackageType: 'Zip',
    Architectures: [...f.architectures],
    EphemeralStorage: { Size: 512 },
    SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
    RuntimeVersionConfig: { RuntimeVersionArn: `arn:aws:lambda:${f.region}::runtime:${'0'.repeat(64)}` },
    LoggingConfig: { LogFormat: 'Text', LogGroup: logGroupOf(f.name) },
    ...(f.layers?.length ? { Layers: f.layers.map((l) => ({ Arn: l.arn, CodeSize: l.codeSize })) } : {}),
  };
}
