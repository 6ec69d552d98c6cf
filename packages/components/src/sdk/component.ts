import type { Readable } from 'node:stream';
import type { SessionCredentials } from '@hangar/core';
import type { z } from 'zod';

/** Where a component instance lives. Ids are immutable; names are what people typed. */
export interface InstanceRef {
  readonly orgId: string;
  readonly appId: string;
  readonly app: string;
  readonly stage: string;
  readonly name: string;
  readonly instanceId: string;
}

export interface ComponentLogger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

/** The code package the engine assembled from the uploaded files. */
export interface ComponentSource {
  /** Content address of the file set; equal ids mean byte-identical packages. */
  readonly manifestId: string;
  /** The zip (the engine caches it by manifest id); only called when the code must be uploaded. */
  zip(): Promise<Uint8Array>;
  /**
   * The same zip as a file to stream (engines that can): its size, and a fresh stream of its
   * bytes per `stream()` call, so a large package is sent without being held in memory.
   */
  file?(): Promise<SourceFile>;
  /**
   * The same files split for a dependencies layer (engines that can): the app's own files, and
   * `node_modules` under `nodejs/node_modules/` (absent when there is none). Each part's id is the
   * hash of its own entries, so a code-only change keeps the dependencies' id.
   */
  layered?(): Promise<{ readonly code: SourcePart; readonly deps?: SourcePart }>;
}

/** One part of a split package. */
export interface SourcePart {
  readonly id: string;
  /** Sum of the files' sizes (for Lambda's 250 MB unzipped limit). */
  readonly unzippedBytes: number;
  zip(): Promise<Uint8Array>;
  /** The zip as a file to stream (engines that can). */
  file?(): Promise<SourceFile>;
}

/** A built package on disk: its size in bytes, and a new read stream of it on each call. */
export interface SourceFile {
  readonly size: number;
  stream(): Readable;
}

/** What the engine hands a component for one deploy or remove. Never holds credentials in plain form. */
export interface ComponentContext {
  /** Temporary credentials from the provider's role. May be refreshed: read it each time it is needed. */
  readonly credentials: SessionCredentials;
  readonly region: string;
  /** AWS endpoint override (the local cloud); undefined means real AWS. */
  readonly endpoint?: string;
  readonly instance: InstanceRef;
  /** What the last successful deploy returned as `state` ({} the first time). */
  readonly state: Readonly<Record<string, unknown>>;
  readonly log: ComponentLogger;
  readonly source?: ComponentSource;
  readonly signal?: AbortSignal;
  /**
   * `hangar deploy --replace <instance-or-component>` named this instance: a change that cannot be
   * made in place (a table's keys) may delete the resource and create it anew. Otherwise such a
   * change is refused with COMPONENT_REPLACE_REQUIRED.
   */
  readonly replace?: boolean;
  /**
   * `hangar deploy --refresh`: the deploy runs although nothing changed, to check the cloud for
   * drift; a component looks again at what it otherwise trusts its state for.
   */
  readonly refresh?: boolean;
}

/** One Allow statement of a session policy: these actions on these resource ARN patterns. */
export interface PermissionStatement {
  readonly actions: readonly string[];
  /**
   * ARN patterns (`*` and `?` wildcards within a segment), e.g.
   * `arn:aws*:dynamodb:*:*:table/hangar-shop-dev-orders-1a2b3c4d` — `aws*` so the statement holds in
   * every partition (aws, aws-cn, aws-us-gov).
   */
  readonly resources: readonly string[];
}

/** Statements for one instance (its resource names derive from the app, stage and name), or bare actions on `*`. */
export type ComponentPermissions = readonly string[] | ((instance: InstanceRef) => readonly PermissionStatement[]);

export interface DeployResult {
  readonly outputs: Record<string, unknown>;
  /** Stored by the engine and handed back as `ctx.state` next time. Plain JSON, never secrets. */
  readonly state: Record<string, unknown>;
}

/**
 * A deployable unit. `I` is the validated inputs type; `inputs` validates raw project-file inputs
 * into it (use `validateInputs`, which turns schema failures into COMPONENT_INPUTS_INVALID).
 */
export interface Component<I = unknown> {
  readonly name: string;
  readonly description: string;
  readonly inputs: z.ZodType<I>;
  /**
   * What deploy and remove may call: the engine narrows each deployment's session to it (an STS
   * session policy). Either statements built for the instance, naming the exact resources (see
   * `PermissionStatement`), or — the older form — a list of IAM actions allowed on any resource.
   */
  readonly permissions: ComponentPermissions;
  /**
   * Checks the validated inputs against the paths of the uploaded source before anything is
   * deployed (the engine calls it when a deployment is created, before any cloud call); throws a
   * HangarError naming the fix. Optional: components without code have nothing to check.
   */
  checkSource?(inputs: I, paths: readonly string[]): void;
  deploy(inputs: I, ctx: ComponentContext): Promise<DeployResult>;
  /** Deletes everything it created, as recorded in `ctx.state`. Safe to call twice. */
  remove(ctx: ComponentContext): Promise<void>;
}
