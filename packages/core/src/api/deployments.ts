/** Deployments, with the source cache they deploy from and the instances they change; the SSE event union. */
import { z } from 'zod';
import { defineRoute } from './route.js';
import { jsonObject, orgParams } from './common.js';

const hex64 = /^[0-9a-f]{64}$/;
const manifestIdRule = 'expected a manifest id (64 lowercase hex characters)';
const nameRule = 'letters, digits, "-" and "_", 1-64 characters, starting with a letter or digit';
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, `expected ${nameRule}`);

// ---- source cache ----
export const manifestEntry = z.object({ path: z.string(), sha256: z.string(), size: z.number(), mode: z.number().int() });
/**
 * The wire shape of POST /sources; the rules that name a path are checked by the engine's source
 * cache. `component`, when given, is the component the source is for: an unknown one is refused
 * (COMPONENT_NOT_FOUND) before the manifest is stored or any file uploaded.
 */
const sourceFor = name.optional();
const sourceUploadOf = <E extends z.ZodType>(entry: E) => z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('full'), entries: z.array(entry), component: sourceFor }),
  z.object({
    kind: z.literal('delta'),
    component: sourceFor,
    base: z.string().regex(hex64, manifestIdRule),
    put: z.array(entry),
    delete: z.array(z.string()),
    manifestId: z.string().regex(hex64, manifestIdRule),
  }),
]);
export const sourceUpload = sourceUploadOf(manifestEntry);
/**
 * The same body with its entry lists taken as they come, for a server that checks their items
 * (`manifestEntry`) itself, a slice at a time: the engine does, since checking 12,000 entries in
 * one go held its event loop for 70-200 ms.
 */
export const sourceUploadEnvelope = sourceUploadOf(z.unknown());
export const sourceUploadReply = z.object({ manifestId: z.string(), missing: z.array(z.string()), files: z.number(), bytes: z.number() });

export const uploadSource = defineRoute({
  method: 'POST', path: '/api/v1/orgs/:orgId/sources', access: 'deployer', summary: 'Send a manifest (full or delta); the answer lists the blobs to upload',
  params: orgParams, body: sourceUpload, reply: sourceUploadReply,
});
/** Raw bytes (application/octet-stream), not JSON: the body is read by the engine, not by a schema. */
export const putBlob = defineRoute({
  method: 'PUT', path: '/api/v1/orgs/:orgId/blobs/:sha256', access: 'deployer', summary: 'Upload one file\'s bytes, kept only if they hash to :sha256',
  params: z.object({ orgId: z.string().min(1), sha256: z.string().regex(hex64, 'expected 64 lowercase hex characters') }),
  status: 204,
});
/**
 * Many files in one body: `application/vnd.hangar.blobs` frames (see `@hangar/core` blob-batch.ts:
 * per blob its raw 32-byte sha256, a 4-byte big-endian length, the bytes), read as a stream and
 * each blob stored as its frame completes. Each is checked as PUT /blobs/:sha256 checks one; one
 * refused does not stop the others. The body is read by the engine, not by a schema.
 */
export const putBlobsReply = z.object({
  /** The hashes kept (now held by this org), in the order their frames arrived. */
  stored: z.array(z.string()),
  /** The frames not kept, with the error code and message PUT /blobs/:sha256 would have answered. */
  refused: z.array(z.object({ sha256: z.string(), code: z.string(), message: z.string() })),
});
export const putBlobs = defineRoute({
  method: 'POST', path: '/api/v1/orgs/:orgId/blobs', access: 'deployer', summary: 'Upload many files\' bytes in one body (application/vnd.hangar.blobs frames), each kept only if it hashes to its sha256',
  params: orgParams, reply: putBlobsReply,
});

// ---- deployments ----
/** `skipped`: nothing had changed since the instance's last successful deployment, so the cloud was not touched (no role assumed). */
export const deploymentStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'skipped']);
export const deploymentError = z.object({ code: z.string(), message: z.string(), awsCode: z.string().nullable(), requestId: z.string().nullable() });
export const usedProvider = z.object({ id: z.string(), name: z.string().nullable(), roleArn: z.string().nullable() });
export const deployment = z.object({
  id: z.string(), orgId: z.string(), appId: z.string(), app: z.string(), instanceId: z.string(), stage: z.string(), name: z.string(),
  component: z.string(), action: z.enum(['deploy', 'remove']), status: deploymentStatus, actor: z.string(), manifestId: z.string().nullable(),
  inputs: jsonObject, provider: usedProvider.nullable(), outputs: jsonObject.nullable(), error: deploymentError.nullable(),
  createdAt: z.string(), startedAt: z.string().nullable(), finishedAt: z.string().nullable(), durationMs: z.number().nullable(),
});
export const logLine = z.object({ seq: z.number(), ts: z.string(), level: z.string(), message: z.string() });
export type DeploymentStatus = z.output<typeof deploymentStatus>;
export type DeploymentError = z.output<typeof deploymentError>;
export type Deployment = z.output<typeof deployment>;
/** One line of GET /deployments/:id/logs (newline-delimited JSON) and of the `log` event. */
export type LogLine = z.output<typeof logLine>;

const depParams = z.object({ orgId: z.string().min(1), id: z.string().min(1).max(100) });

export const createDeployment = defineRoute({
  method: 'POST', path: '/api/v1/orgs/:orgId/deployments', access: 'deployer', summary: 'Queue a deploy or a remove of an instance',
  params: orgParams, status: 202,
  body: z.object({
    app: name, stage: name, name,
    component: z.string().min(1).max(100),
    inputs: z.record(z.string(), z.unknown()).default({}),
    manifestId: z.string().regex(hex64, 'expected a manifest id from POST /sources (64 lowercase hex characters)').optional(),
    action: z.enum(['deploy', 'remove']).default('deploy'),
    /**
     * Deploy even when nothing changed since the instance's last successful deployment (same
     * manifest, inputs, component and provider), so the component checks the cloud for drift.
     * Without it such a deployment ends `skipped` without a cloud call.
     */
    refresh: z.boolean().default(false),
    /** `hangar deploy --replace`: a change AWS cannot make in place (a table's keys) replaces the resource, deleting its data. */
    replace: z.boolean().optional(),
  }),
  reply: z.object({ deploymentId: z.string(), status: z.literal('queued'), instanceId: z.string() }),
});
export const listDeployments = defineRoute({
  method: 'GET', path: '/api/v1/orgs/:orgId/deployments', access: 'viewer', summary: 'Deployments, newest first',
  params: orgParams,
  query: z.object({ instanceId: z.string().min(1).max(100).optional(), limit: z.coerce.number().int().min(1).max(200).default(20) }),
  reply: z.object({ deployments: z.array(deployment) }),
});
export const getDeployment = defineRoute({
  method: 'GET', path: '/api/v1/orgs/:orgId/deployments/:id', access: 'viewer', summary: 'One deployment',
  params: depParams, reply: deployment,
});
/** Answers `application/x-ndjson`: one `LogLine` per line (the handler writes it; no JSON reply schema). */
export const deploymentLogs = defineRoute({
  method: 'GET', path: '/api/v1/orgs/:orgId/deployments/:id/logs', access: 'viewer', summary: 'Stored log lines after `after` (ndjson)',
  params: depParams, query: z.object({ after: z.coerce.number().int().min(0).default(0) }),
});

/** The server-sent events of GET /deployments/:id/events: `event: <type>` with `data: <JSON>`. */
export const deploymentEvent = z.discriminatedUnion('event', [
  z.object({ event: z.literal('log'), data: logLine }),
  z.object({ event: z.literal('status'), data: z.object({ status: deploymentStatus }) }),
  z.object({
    event: z.literal('done'),
    data: z.object({
      status: deploymentStatus, outputs: jsonObject, error: deploymentError.optional(),
      provider: z.object({ id: z.string().nullable(), name: z.string().nullable(), roleArn: z.string().nullable() }),
      durationMs: z.number().nullable(),
    }),
  }),
]);
export type DeploymentEvent = z.output<typeof deploymentEvent>;
export type DeploymentEventOf<E extends DeploymentEvent['event']> = Extract<DeploymentEvent, { event: E }>['data'];
/** Answers `text/event-stream` carrying `DeploymentEvent`s (the handler streams them). */
export const deploymentEvents = defineRoute({
  method: 'GET', path: '/api/v1/orgs/:orgId/deployments/:id/events', access: 'viewer', summary: 'Follow a deployment (server-sent events)',
  params: depParams,
});

// ---- instances ----
export const instance = z.object({
  id: z.string(), appId: z.string(), app: z.string(), stage: z.string(), name: z.string(), component: z.string(),
  status: z.enum(['new', 'deployed', 'failed', 'removed']), inputs: jsonObject, outputs: jsonObject, updatedAt: z.string(),
  lastDeployment: z.object({
    id: z.string(), action: z.string(), status: z.string(), actor: z.string(), createdAt: z.string(), finishedAt: z.string().nullable(),
    durationMs: z.number().nullable(), error: z.object({ code: z.string(), message: z.string() }).nullable(),
  }).nullable(),
});
export type Instance = z.output<typeof instance>;

export const listInstances = defineRoute({
  method: 'GET', path: '/api/v1/orgs/:orgId/instances', access: 'viewer', summary: 'Instances, by app, stage and name',
  params: orgParams, reply: z.object({ instances: z.array(instance) }),
});
export const getInstance = defineRoute({
  method: 'GET', path: '/api/v1/orgs/:orgId/instances/:instanceId', access: 'viewer', summary: 'One instance',
  params: z.object({ orgId: z.string().min(1), instanceId: z.string().min(1).max(100) }), reply: instance,
});
export const instanceByName = defineRoute({
  method: 'GET', path: '/api/v1/orgs/:orgId/instances/by-name/:app/:stage/:name', access: 'viewer', summary: 'One instance by app, stage and name',
  params: z.object({ orgId: z.string().min(1), app: z.string().min(1).max(64), stage: z.string().min(1).max(64), name: z.string().min(1).max(64) }),
  reply: instance,
});
