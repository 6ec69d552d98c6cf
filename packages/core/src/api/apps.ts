/**
 * App deployments: one deploy (or remove) of several instances of an app and stage, wired by
 * `${output:<instance>.<key>}` references. The engine starts each instance's own deployment as
 * soon as the instances it references have succeeded (a remove: once the instances referencing it
 * are removed), at most HANGAR_APP_PARALLELISM at once, and skips only the dependents of a failure.
 */
import { z } from 'zod';
import { defineRoute } from './route.js';
import { jsonObject, orgParams } from './common.js';

const hex64 = /^[0-9a-f]{64}$/;
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'expected letters, digits, "-" and "_", 1-64 characters, starting with a letter or digit');

export const appInstanceInput = z.object({
  name,
  component: z.string().min(1).max(100),
  /** Where the instance is declared, for messages, e.g. "api/hangar.yml". */
  file: z.string().min(1).max(300),
  /** As written: `${output:...}` references are resolved by the engine. */
  inputs: z.record(z.string(), z.unknown()).default({}),
  manifestId: z.string().regex(hex64, 'expected a manifest id from POST /sources (64 lowercase hex characters)').optional(),
  /** `hangar deploy --replace <instance-or-component>`: this instance's deployment may replace what AWS cannot change in place. */
  replace: z.boolean().optional(),
  /** `hangar deploy --refresh`: deploy even when nothing changed (the component checks the cloud for drift); otherwise an unchanged instance ends `skipped`. */
  refresh: z.boolean().optional(),
}).strict();

export const appInstanceStatus = z.enum(['pending', 'queued', 'running', 'succeeded', 'failed', 'skipped']);
export const appDeploymentStatus = z.enum(['running', 'succeeded', 'failed']);
export type AppInstanceStatus = z.output<typeof appInstanceStatus>;
export type AppDeploymentStatus = z.output<typeof appDeploymentStatus>;

export const appDeploymentInstance = z.object({
  name: z.string(), component: z.string(), file: z.string(), status: appInstanceStatus,
  /** Instances of this deployment it waits for (a remove: the ones that reference it). */
  waitsFor: z.array(z.string()),
  /** Its own deployment once queued (GET /deployments/:id, its log and events). */
  deploymentId: z.string().nullable(),
  /** The instance's id (GET /instances/:id) once its deployment is queued. */
  instanceId: z.string().nullable(),
  /** The inputs as written, references included (the deployment holds the resolved ones). */
  inputs: jsonObject,
  outputs: jsonObject.nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  startedAt: z.string().nullable(), finishedAt: z.string().nullable(),
});
export const appDeployment = z.object({
  id: z.string(), orgId: z.string(), app: z.string(), stage: z.string(), action: z.enum(['deploy', 'remove']),
  status: appDeploymentStatus, actor: z.string(), createdAt: z.string(), finishedAt: z.string().nullable(),
  /** In dependency order (a remove: reverse dependency order). */
  instances: z.array(appDeploymentInstance),
});
export type AppDeployment = z.output<typeof appDeployment>;
export type AppDeploymentInstance = z.output<typeof appDeploymentInstance>;

export const createAppDeployment = defineRoute({
  method: 'POST', path: '/api/v1/orgs/:orgId/app-deployments', access: 'deployer', status: 202,
  summary: 'Deploy or remove several instances of an app and stage, in dependency order; refused before anything runs when a reference is unknown, misses its key or closes a cycle',
  params: orgParams,
  body: z.object({
    app: name, stage: name,
    action: z.enum(['deploy', 'remove']).default('deploy'),
    instances: z.array(appInstanceInput).min(1, 'expected at least one instance').max(100, 'expected at most 100 instances'),
  }).strict(),
  reply: appDeployment,
});
export const listAppDeployments = defineRoute({
  method: 'GET', path: '/api/v1/orgs/:orgId/app-deployments', access: 'viewer', summary: 'App deployments, newest first',
  params: orgParams,
  query: z.object({ app: name.optional(), stage: name.optional(), limit: z.coerce.number().int().min(1).max(100).default(20) }),
  reply: z.object({ appDeployments: z.array(appDeployment) }),
});
const appDepParams = z.object({ orgId: z.string().min(1), id: z.string().min(1).max(100) });
export const getAppDeployment = defineRoute({
  method: 'GET', path: '/api/v1/orgs/:orgId/app-deployments/:id', access: 'viewer', summary: 'One app deployment with each instance\'s status',
  params: appDepParams, reply: appDeployment,
});

/**
 * The server-sent events of GET /app-deployments/:id/events: `instance` when an instance's status
 * changes (with its deployment id once queued: follow GET /deployments/:id/events for its log), and
 * `done` with the final app deployment.
 */
export const appDeploymentEvent = z.discriminatedUnion('event', [
  z.object({ event: z.literal('instance'), data: appDeploymentInstance }),
  z.object({ event: z.literal('done'), data: appDeployment }),
]);
export type AppDeploymentEvent = z.output<typeof appDeploymentEvent>;
export const appDeploymentEvents = defineRoute({
  method: 'GET', path: '/api/v1/orgs/:orgId/app-deployments/:id/events', access: 'viewer', summary: 'Follow an app deployment (server-sent events)',
  params: appDepParams,
});
