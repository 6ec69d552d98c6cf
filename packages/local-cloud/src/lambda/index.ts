/**
 * Lambda (rest-json, `/2015-03-31/functions/...`). Runs Node.js handlers in warm child processes
 * with the execution role's credentials; writes logs through the Logs service's internal API.
 *
 * Wiring: `createLambda(rt, { logs })` needs the Logs API; API Gateway needs `createLambda(...).api`.
 * `lambdaService` (./compute.ts) builds Logs, Lambda and API Gateway together, once per runtime.
 */
import { mkdtemp, mkdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsError, type CloudRuntime, type DataPlaneRoute, type Service, type ServiceRequest } from '../internal/contract.js';
import type { LogsApi } from '../logs/index.js';
import { s3ApiOf } from '../s3/index.js';
import { createCodeUnpacker, createFileStore, MAX_REQUEST_BYTES, tooLarge, type CodeUnpacker, type FileStore } from './code.js';
import { createFunctions, type Functions } from './functions.js';
import { createLayers, type Layers } from './layers.js';
import { createSweeper } from './sweeper.js';
import { configurationOf } from './model.js';
import { allowsService } from './policy.js';
import { empty, json, jsonBody, matchRest, rest, type RestRoute } from './rest.js';
import { sdkNodePath, sdkReadPaths, sdkRuntimeModules } from './runtime/environment.js';
import { createInvoker, type InvokeResult, type Invoker } from './runtime/invoker.js';
import { parseFunctionRef } from './validate.js';

export type { InvokeResult } from './runtime/invoker.js';

/** What other services use to invoke functions the way an AWS service principal does. */
export interface LambdaApi {
  invokeAsService(input: {
    accountId: string;
    region: string;
    /** A function name or ARN (as in an integration URI). */
    functionRef: string;
    servicePrincipal: string;
    sourceArn: string;
    event: string;
  }): Promise<ServiceInvokeOutcome>;
}

export type ServiceInvokeOutcome =
  | { kind: 'ok'; payload: string }
  | { kind: 'function-error'; payload: string }
  | { kind: 'denied' | 'not-found' | 'not-ready' };

export interface LambdaOptions {
  readonly logs: LogsApi;
  /** How long an idle execution environment stays warm (default 5 minutes). */
  readonly idleMs?: number;
}

export interface LambdaParts {
  service: Service;
  dataPlane: DataPlaneRoute[];
  api: LambdaApi;
}

interface Ctx {
  req: ServiceRequest;
  endpoint: string;
  fns: Functions;
  layers: Layers;
  invoker: Invoker;
  unpacker: CodeUnpacker;
}

const badJson = (detail: string) => new AwsError('InvalidRequestContentException', `Could not parse request body into json: ${detail}`);
const body = (c: Ctx) => jsonBody(c.req.body, badJson);
/** Bodies over this size that carry code are parsed in the unpacking worker (1 MB: ~10 ms of JSON.parse here). */
const PARSE_IN_WORKER_BYTES = 1024 * 1024;
/** The body of CreateFunction ('Code'), UpdateFunctionCode ('') or PublishLayerVersion ('Content'), off the event loop when large. */
const codeBody = async (c: Ctx, holder: string, operation: string) =>
  (c.req.body.length > PARSE_IN_WORKER_BYTES ? c.unpacker.parseCodeBody(c.req.body, holder, operation, badJson) : body(c));
const principalOf = (c: Ctx) => {
  if (!c.req.principal) throw new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
  return c.req.principal;
};
const fnRef = (c: Ctx, p: Record<string, string>) => c.fns.ref(principalOf(c), c.req.region, p.FunctionName as string, c.req.query.Qualifier);

const MAX_SYNC_PAYLOAD = 6_291_456;
const MAX_ASYNC_PAYLOAD = 262_144;

async function invokeRoute(c: Ctx, p: Record<string, string>) {
  const principal = principalOf(c);
  const type = c.req.headers['x-amz-invocation-type'] ?? 'RequestResponse';
  if (!['RequestResponse', 'Event', 'DryRun'].includes(type)) {
    throw new AwsError('InvalidParameterValueException', `1 validation error detected: Value '${type}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]`);
  }
  const f = c.fns.lookup(principal, fnRef(c, p), 'lambda:InvokeFunction');
  if (type === 'DryRun') return empty(204, { 'x-amz-executed-version': '$LATEST' });
  const limit = type === 'Event' ? MAX_ASYNC_PAYLOAD : MAX_SYNC_PAYLOAD;
  if (c.req.body.length > limit) {
    throw new AwsError('RequestTooLargeException', `Request must be smaller than ${limit} bytes for the ${type === 'Event' ? 'InvokeAsync' : 'InvokeFunction'} operation`, 413);
  }
  const text = c.req.body.length ? c.req.body.toString('utf8') : '{}';
  try {
    JSON.parse(text);
  } catch (e) {
    throw new AwsError('InvalidRequestContentException', `Could not parse request body into json: Could not parse payload into json: ${(e as Error).message}`);
  }
  if (f.state !== 'Active') {
    throw new AwsError('ResourceConflictException', `The operation cannot be performed at this time. The function is currently in the following state: ${f.state}`, 409);
  }
  let clientContext: unknown;
  const cc = c.req.headers['x-amz-client-context'];
  if (cc) {
    try {
      clientContext = JSON.parse(Buffer.from(cc, 'base64').toString('utf8'));
    } catch {
      throw new AwsError('InvalidRequestContentException', 'Client context must be a valid Base64-encoded JSON object.');
    }
  }
  if (type === 'Event') {
    // Errors of asynchronous invocations only reach the function's logs, as on AWS.
    void c.invoker.invoke(f, text, { clientContext }).catch(() => undefined);
    return empty(202);
  }
  const r: InvokeResult = await c.invoker.invoke(f, text, { clientContext });
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' };
  if (r.functionError) headers['x-amz-function-error'] = r.functionError;
  if (c.req.headers['x-amz-log-type'] === 'Tail') {
    headers['x-amz-log-result'] = Buffer.from(Buffer.from(r.logLines.join('\n') + '\n').subarray(-4096)).toString('base64');
  }
  return { status: 200, headers, body: r.payload };
}

const routes: RestRoute<Ctx>[] = [
  rest('POST', '/2015-03-31/functions', async (c) => {
    if (c.req.body.length > MAX_REQUEST_BYTES) throw tooLarge('CreateFunction');
    const f = await c.fns.create(principalOf(c), c.req.region, await codeBody(c, 'Code', 'CreateFunction'));
    return json(201, configurationOf(f));
  }),
  rest('GET', '/2015-03-31/functions', (c) => {
    const max = Number(c.req.query.MaxItems ?? 50);
    if (!Number.isInteger(max) || max < 1 || max > 10000) {
      throw new AwsError('InvalidParameterValueException', `1 validation error detected: Value '${c.req.query.MaxItems}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000`);
    }
    const { page, next } = c.fns.list(principalOf(c), c.req.region, c.req.query.Marker, max);
    return json(200, { Functions: page.map(configurationOf), ...(next ? { NextMarker: next } : {}) });
  }),
  rest('GET', '/2015-03-31/functions/{FunctionName}', (c, p) => {
    const f = c.fns.lookup(principalOf(c), fnRef(c, p), 'lambda:GetFunction');
    return json(200, {
      Configuration: configurationOf(f),
      Code: { RepositoryType: 'S3', Location: `${c.endpoint}/_aws/lambda-code/${f.codeToken}` },
      ...(Object.keys(f.tags).length ? { Tags: { ...f.tags } } : {}),
    });
  }),
  rest('GET', '/2015-03-31/functions/{FunctionName}/configuration', (c, p) =>
    json(200, configurationOf(c.fns.lookup(principalOf(c), fnRef(c, p), 'lambda:GetFunctionConfiguration')))),
  rest('DELETE', '/2015-03-31/functions/{FunctionName}', async (c, p) => {
    await c.fns.remove(principalOf(c), fnRef(c, p));
    return empty(204);
  }),
  rest('PUT', '/2015-03-31/functions/{FunctionName}/code', async (c, p) => {
    if (c.req.body.length > MAX_REQUEST_BYTES) throw tooLarge('UpdateFunctionCode');
    return json(200, configurationOf(await c.fns.updateCode(principalOf(c), fnRef(c, p), await codeBody(c, '', 'UpdateFunctionCode'))));
  }),
  rest('PUT', '/2015-03-31/functions/{FunctionName}/configuration', async (c, p) =>
    json(200, configurationOf(await c.fns.updateConfiguration(principalOf(c), fnRef(c, p), body(c))))),
  rest('POST', '/2015-03-31/functions/{FunctionName}/invocations', invokeRoute),
  rest('POST', '/2015-03-31/functions/{FunctionName}/policy', (c, p) =>
    json(201, { Statement: c.fns.addPermission(principalOf(c), fnRef(c, p), body(c)) })),
  rest('GET', '/2015-03-31/functions/{FunctionName}/policy', (c, p) => json(200, c.fns.getPolicy(principalOf(c), fnRef(c, p)))),
  rest('DELETE', '/2015-03-31/functions/{FunctionName}/policy/{StatementId}', (c, p) => {
    c.fns.removePermission(principalOf(c), fnRef(c, p), p.StatementId as string, { RevisionId: c.req.query.RevisionId });
    return empty(204);
  }),
  // Layers (API version 2018-10-31).
  rest('POST', '/2018-10-31/layers/{LayerName}/versions', async (c, p) => {
    if (c.req.body.length > MAX_REQUEST_BYTES) throw tooLarge('PublishLayerVersion');
    return json(201, await c.layers.publish(principalOf(c), c.req.region, p.LayerName as string, await codeBody(c, 'Content', 'PublishLayerVersion')));
  }),
  rest('GET', '/2018-10-31/layers/{LayerName}/versions', (c, p) =>
    json(200, c.layers.listVersions(principalOf(c), c.req.region, p.LayerName as string, c.req.query))),
  rest('GET', '/2018-10-31/layers/{LayerName}/versions/{VersionNumber}', (c, p) =>
    json(200, c.layers.get(principalOf(c), c.req.region, p.LayerName as string, p.VersionNumber as string))),
  rest('DELETE', '/2018-10-31/layers/{LayerName}/versions/{VersionNumber}', async (c, p) => {
    c.layers.remove(principalOf(c), c.req.region, p.LayerName as string, p.VersionNumber as string);
    return empty(204);
  }),
  rest('POST', '/2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy', (c, p) =>
    json(201, c.layers.addPermission(principalOf(c), c.req.region, p.LayerName as string, p.VersionNumber as string, { ...body(c), RevisionId: c.req.query.RevisionId }))),
  rest('GET', '/2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy', (c, p) =>
    json(200, c.layers.getPolicy(principalOf(c), c.req.region, p.LayerName as string, p.VersionNumber as string))),
  rest('DELETE', '/2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy/{StatementId}', (c, p) => {
    c.layers.removePermission(principalOf(c), c.req.region, p.LayerName as string, p.VersionNumber as string, p.StatementId as string, c.req.query.RevisionId);
    return empty(204);
  }),
  // GetLayerVersionByArn is `GET /2018-10-31/layers?find=LayerVersion&Arn=...`; ListLayers the same path without `find`.
  rest('GET', '/2018-10-31/layers', (c) => c.req.query.find === 'LayerVersion'
    ? json(200, c.layers.getByArn(principalOf(c), c.req.query.Arn ?? ''))
    : json(200, c.layers.listLayers(principalOf(c), c.req.region, c.req.query))),
];

/** Builds Lambda; `logs` is the Logs service's internal API (see `computeServices`). */
export function createLambda(rt: CloudRuntime, opts: LambdaOptions): LambdaParts {
  let root: Promise<string> | undefined;
  let tempRoot: string | undefined;
  const installed = sdkNodePath();
  const sdkReads = sdkReadPaths(installed);
  // The SDK's packages alone, linked into `<root>/.runtime/node_modules` when the root is made (a
  // function's code is stored there before any sandbox starts).
  let sdkModules: string | undefined;
  const codeRoot = () => (root ??= (async () => {
    const dataDir = rt.dataDir();
    let dir: string;
    if (dataDir) {
      dir = join(dataDir, 'lambda');
      await mkdir(dir, { recursive: true });
    } else {
      dir = tempRoot = await mkdtemp(join(tmpdir(), 'hangar-lambda-'));
    }
    sdkModules = sdkRuntimeModules(installed, sdkReads, join(dir, '.runtime', 'node_modules'));
    return dir;
  })());
  // Code paths are resolved lazily, once the root exists (it is created before any code is stored).
  let rootDir = '';
  const invoker = createInvoker({
    rt, logs: opts.logs, nodePath: () => sdkModules, idleMs: opts.idleMs ?? 5 * 60_000,
    codeDir: (fn) => join(rootDir, fn.codeDir),
    optDir: (fn) => (fn.optDir ? join(rootDir, fn.optDir) : undefined),
    runtimeReadPaths: sdkReads,
  });
  // Unpacked files are stored once per content and hard-linked into each package (`<root>/.files`).
  let fileStore: Promise<FileStore> | undefined;
  const files = () => (fileStore ??= codeRoot().then((r) => createFileStore(join(r, '.files'))));
  // Zips are checked and unpacked in a worker thread (small ones inline), off this event loop.
  const unpacker = createCodeUnpacker();
  // Deleted layer versions' files go in the background, once no function uses them (sweeper.ts).
  const sweeper = createSweeper({
    codeRoot,
    remove: async (dir) => unpacker.remove(dir, await files()),
    inUse: (dir) => layers.holds(dir) || fns.usesOpt(dir),
  });
  const dropped = (dir: string) => sweeper.drop(dir);
  const layers = createLayers({ rt, codeRoot: async () => (rootDir = await codeRoot()), s3: () => s3ApiOf(rt), endpoint: () => rt.endpoint(), files, dropped, unpacker });
  const fns = createFunctions({ rt, invoker, layers, s3: () => s3ApiOf(rt), codeRoot: async () => (rootDir = await codeRoot()), files, dropped, unpacker });

  const service: Service = {
    signingName: 'lambda',
    protocol: 'rest-json',
    async handle(req) {
      const m = matchRest(routes, req.method, req.path);
      if (!m) throw new AwsError('UnknownOperationException', `Unknown operation ${req.method} ${req.path}`, 404);
      await codeRoot().then((d) => (rootDir = d));
      return m.route.run({ req, endpoint: rt.endpoint(), fns, layers, invoker, unpacker }, m.params);
    },
    snapshot: () => ({ ...fns.snapshot(), layers: layers.snapshot() }),
    async restore(state) {
      fns.restore(state);
      layers.restore((state as { layers?: unknown } | undefined)?.layers);
      rootDir = await codeRoot();
      // Deleted versions a stop interrupted the freeing of.
      await sweeper.dropUnused();
    },
    async close() {
      fns.close();
      await invoker.close();
      await sweeper.idle();
      await unpacker.close();
      if (tempRoot) await rm(tempRoot, { recursive: true, force: true });
    },
  };

  // GetFunction's Code.Location and GetLayerVersion's Content.Location: bearer URLs for the zip,
  // like AWS's presigned S3 URLs.
  const codeRoute: DataPlaneRoute = {
    match: (_host, path) => path.startsWith('/_aws/lambda-code/') || path.startsWith('/_aws/lambda-layer/'),
    async handle(req) {
      const [, , kind, token = ''] = new URL(req.url, 'http://x').pathname.split('/');
      const dir = kind === 'lambda-code' ? fns.byCodeToken(token)?.codeDir : layers.byCodeToken(token)?.dir;
      if (!dir || req.method !== 'GET') return json(404, { message: 'Not Found' });
      const zip = await readFile(join(await codeRoot(), `${dir}.zip`));
      return { status: 200, headers: { 'content-type': 'application/zip' }, body: zip };
    },
  };

  const api: LambdaApi = {
    async invokeAsService(input) {
      await codeRoot().then((d) => (rootDir = d));
      let ref;
      try {
        ref = parseFunctionRef(input.functionRef, input.accountId, input.region);
      } catch {
        return { kind: 'not-found' };
      }
      const f = fns.find(ref.accountId, ref.region, ref.name);
      if (!f || (ref.qualifier !== undefined && ref.qualifier !== '$LATEST')) return { kind: 'not-found' };
      const allowed = allowsService(f.policy, {
        servicePrincipal: input.servicePrincipal, action: 'lambda:InvokeFunction',
        sourceArn: input.sourceArn, sourceAccount: input.accountId,
      });
      if (!allowed) return { kind: 'denied' };
      if (f.state !== 'Active') return { kind: 'not-ready' };
      const r = await invoker.invoke(f, input.event);
      return r.functionError ? { kind: 'function-error', payload: r.payload } : { kind: 'ok', payload: r.payload };
    },
  };

  return { service, dataPlane: [codeRoute], api };
}

export { lambdaService, computeServices } from './compute.js';
