/**
 * Lambda's function store and operations (everything but the HTTP wiring): create, read,
 * update, delete, permissions, and the Pending -> Active / InProgress -> Successful transitions
 * the SDK's waiters poll for.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { dirname, join, sep } from 'node:path';
import { rm } from 'node:fs/promises';
import { AwsError, type CloudRuntime, type Principal } from '../internal/contract.js';
import type { S3Api } from '../s3/index.js';
import { MAX_UNZIPPED_BYTES, type CodeUnpacker, type FileStore, type UnpackedCode } from './code.js';
import { linkNodeModules, mergeLayers, type Layers } from './layers.js';
import { codeFrom } from './source.js';
import { functionArn, functionKey, lambdaTimestamp, type FunctionLayer, type FunctionRecord, type LambdaState } from './model.js';
import { policyDocument, statementFor, type AddPermissionInput } from './policy.js';
import type { Invoker } from './runtime/invoker.js';
import {
  checkEnvironment, checkFunctionName, checkHandler, checkMemory, checkRole, checkRuntime, checkTimeout,
  parseFunctionRef, read, type FunctionRef,
} from './validate.js';

export interface FunctionsDeps {
  readonly rt: CloudRuntime;
  readonly invoker: Invoker;
  /** Root directory for unpacked code (dataDir/lambda or a temp dir). */
  readonly codeRoot: () => Promise<string>;
  readonly layers: Layers;
  /** S3's internal API, for `Code.S3Bucket`; undefined when the cloud serves no S3. */
  readonly s3: () => S3Api | undefined;
  /** Content-addressed file store (each distinct file written once; packages hold hard links). */
  readonly files?: () => Promise<FileStore>;
  /** A layer version folder a function stopped using (see sweeper.ts); freed if nothing else uses it. */
  readonly dropped?: (dir: string) => void;
  /** Checks and unpacks code zips (in a worker thread when large). */
  readonly unpacker: CodeUnpacker;
}

/** Whether an `optDir` is a layer version's own folder (`layers/...`) rather than a function's merged one. */
export const isLayerDir = (dir: string) => dir.split(sep)[0] === 'layers';

type Input = Record<string, unknown>;

export const notFound = (arn: string) => new AwsError('ResourceNotFoundException', `Function not found: ${arn}`, 404);
const conflict = (m: string) => new AwsError('ResourceConflictException', m, 409);
const invalid = (m: string) => new AwsError('InvalidParameterValueException', m);

export function createFunctions(deps: FunctionsDeps) {
  const { rt, invoker } = deps;
  let state: LambdaState = { functions: {} };
  const timers = new Set<NodeJS.Immediate>();

  /** State changes that AWS makes asynchronously happen right after the response, as a real deploy would. */
  const later = (f: () => void) => {
    const t = setImmediate(() => {
      timers.delete(t);
      f();
      rt.changed();
    });
    timers.add(t);
  };

  /**
   * Layer folders that requests resolved and are attaching (until the function's record holds
   * them): the sweeper keeps them even if their version is deleted meanwhile.
   */
  const attaching = new Map<string, number>();
  function hold(dirs: readonly string[]): () => void {
    for (const d of dirs) attaching.set(d, (attaching.get(d) ?? 0) + 1);
    return () => {
      for (const d of dirs) {
        const n = (attaching.get(d) ?? 1) - 1;
        if (n > 0) attaching.set(d, n);
        else attaching.delete(d);
        // Deleted while attached: the sweeper frees it if the request did not attach it after all.
        if (!deps.layers.holds(d)) deps.dropped?.(d);
      }
    };
  }

  function ref(principal: Principal, region: string, name: string, qualifier?: string): FunctionRef {
    const r = parseFunctionRef(name, principal.accountId, region, qualifier);
    return r;
  }

  /** The function a reference names, after authorising `action` on its ARN. */
  function lookup(principal: Principal, r: FunctionRef, action: string): FunctionRecord {
    const arn = functionArn(r);
    rt.authorize(principal, action, arn);
    // Cross-account access through resource policies is not modelled: other accounts' functions are invisible.
    const f = r.accountId === principal.accountId ? state.functions[functionKey(r.accountId, r.region, r.name)] : undefined;
    if (!f) throw notFound(arn);
    if (r.qualifier !== undefined && r.qualifier !== '$LATEST') throw notFound(`${arn}:${r.qualifier}`);
    return f;
  }

  function checkAssumable(principal: Principal, role: string) {
    rt.authorize(principal, 'iam:PassRole', role);
    if (!rt.identity.canServiceAssume(role, 'lambda.amazonaws.com')) {
      throw invalid('The role defined for the function cannot be assumed by Lambda.');
    }
  }

  function checkRevision(f: FunctionRecord, input: Input) {
    const rev = read.str(input, 'RevisionId');
    if (rev !== undefined && rev !== f.revisionId) {
      throw new AwsError('PreconditionFailedException', 'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id', 412);
    }
  }

  function checkNotUpdating(f: FunctionRecord) {
    if (f.state === 'Pending') throw conflict(`The operation cannot be performed at this time. The function is currently in the following state: Pending`);
    if (f.lastUpdateStatus === 'InProgress') throw conflict(`The operation cannot be performed at this time. An update is in progress for resource: ${functionArn(f)}`);
  }

  function touch(f: FunctionRecord) {
    f.lastModified = lambdaTimestamp(rt.now());
    f.revisionId = randomUUID();
  }

  function codeOf(principal: Principal, region: string, input: Input, operation: string) {
    const code = operation === 'CreateFunction' ? read.obj(input, 'Code') ?? {} : input;
    return codeFrom(principal, region, code, operation, deps.s3(), 'function code', deps.unpacker);
  }

  /** AWS's 250 MB limit on the unzipped function and its layers together. */
  function checkCombinedSize(codeSize: number, layers: readonly FunctionLayer[]) {
    const total = codeSize + layers.reduce((n, l) => n + l.unzippedSize, 0);
    if (total > MAX_UNZIPPED_BYTES) {
      throw invalid(`Function code combined with layers exceeds the maximum allowed size of ${MAX_UNZIPPED_BYTES} bytes. The actual size is ${total} bytes.`);
    }
  }

  /**
   * The function's `/opt` (relative to the code root); undefined without layers. With one layer
   * (what Hangar's components attach) it is that version's own unpacked folder: nothing is linked
   * or copied per file, so switching to a new version costs the same for 5 files or 5,000. With
   * several, their files are merged into a fresh `opt-<generation>` folder next to the code (a
   * later layer's file wins). Either way the function's `node_modules` link points into it.
   */
  async function storeOpt(f: { accountId: string; region: string; name: string }, generation: number, dirs: readonly string[]) {
    const fnDir = join(f.accountId, f.region, f.name);
    const root = await deps.codeRoot();
    if (dirs.length <= 1) {
      await linkNodeModules(root, fnDir, dirs[0]);
      return dirs[0];
    }
    const optDir = join(fnDir, `opt-${generation}`);
    await mergeLayers(root, optDir, dirs);
    return optDir;
  }

  /**
   * After a function stopped using `optDir`: its own merged folder goes now; a layer version's
   * folder is handed to the sweeper, which frees it if the version was deleted and no other
   * function uses it.
   */
  async function leaveOpt(optDir: string) {
    if (isLayerDir(optDir)) deps.dropped?.(optDir);
    else await rm(join(await deps.codeRoot(), optDir), { recursive: true, force: true });
  }

  async function storeCode(f: { accountId: string; region: string; name: string }, generation: number, code: UnpackedCode) {
    const rel = join(f.accountId, f.region, f.name, String(generation));
    await deps.unpacker.write(join(await deps.codeRoot(), rel), code, await deps.files?.());
    return rel;
  }

  async function create(principal: Principal, region: string, input: Input): Promise<FunctionRecord> {
    const name = checkFunctionName(read.str(input, 'FunctionName'));
    const arn = functionArn({ region, accountId: principal.accountId, name });
    rt.authorize(principal, 'lambda:CreateFunction', arn);
    if ((read.str(input, 'PackageType') ?? 'Zip') !== 'Zip') throw invalid('This local cloud runs Zip packages only (PackageType: Zip).');
    const role = checkRole(read.str(input, 'Role'));
    const runtime = read.str(input, 'Runtime');
    const handler = read.str(input, 'Handler');
    if (!runtime || !handler) throw invalid('Runtime and Handler are mandatory parameters for functions created with deployment packages.');
    checkRuntime(runtime);
    checkHandler(handler);
    const timeout = checkTimeout(read.num(input, 'Timeout') ?? 3);
    const memorySize = checkMemory(read.num(input, 'MemorySize') ?? 128);
    const environment = checkEnvironment(read.obj(input, 'Environment')) ?? {};
    const architectures = (input.Architectures as string[] | undefined) ?? ['x86_64'];
    const key = functionKey(principal.accountId, region, name);
    if (state.functions[key]) throw conflict(`Function already exist: ${name}`);
    checkAssumable(principal, role);
    const layers = input.Layers === undefined || input.Layers === null ? { layers: [], dirs: [] } : deps.layers.resolve(principal, region, input.Layers);
    const letGo = hold(layers.dirs);
    try {
      const code = await codeOf(principal, region, input, 'CreateFunction');
      checkCombinedSize(code.unzippedSize, layers.layers);
      if (state.functions[key]) throw conflict(`Function already exist: ${name}`);
      const codeDir = await storeCode({ accountId: principal.accountId, region, name }, 1, code);
      if (state.functions[key]) throw conflict(`Function already exist: ${name}`);
      const optDir = await storeOpt({ accountId: principal.accountId, region, name }, 1, layers.dirs);
      const f: FunctionRecord = {
        accountId: principal.accountId, region, name, runtime, role, handler,
        description: read.str(input, 'Description') ?? '', timeout, memorySize, environment,
        codeSha256: code.sha256, codeSize: code.size, codeDir, codeToken: randomBytes(24).toString('hex'),
        lastModified: lambdaTimestamp(rt.now()), revisionId: randomUUID(),
        state: 'Pending', lastUpdateStatus: 'InProgress', policy: [],
        tags: read.strMap(input, 'Tags') ?? {}, architectures, generation: 1,
        unzippedSize: code.unzippedSize, ...(layers.layers.length ? { layers: layers.layers } : {}), ...(optDir ? { optDir } : {}),
      };
      state.functions[key] = f;
      rt.changed();
      later(() => {
        f.state = 'Active';
        f.lastUpdateStatus = 'Successful';
      });
      return f;
    } finally {
      letGo();
    }
  }

  async function updateCode(principal: Principal, r: FunctionRef, input: Input): Promise<FunctionRecord> {
    const f = lookup(principal, r, 'lambda:UpdateFunctionCode');
    checkNotUpdating(f);
    checkRevision(f, input);
    const code = await codeOf(principal, f.region, input, 'UpdateFunctionCode');
    checkCombinedSize(code.unzippedSize, f.layers ?? []);
    if (input.DryRun === true) {
      await deps.unpacker.verify(code);
      return f;
    }
    const generation = f.generation + 1;
    const old = f.codeDir;
    f.codeDir = await storeCode(f, generation, code);
    f.codeSha256 = code.sha256;
    f.codeSize = code.size;
    f.unzippedSize = code.unzippedSize;
    f.codeToken = randomBytes(24).toString('hex');
    f.generation = generation;
    // A warm function gets its new sandbox now, initialised before the first request after the deploy.
    invoker.retire(f, { replace: true });
    if (old !== f.codeDir) await deps.unpacker.remove(join(await deps.codeRoot(), old), await deps.files?.());
    return updated(f);
  }

  async function updateConfiguration(principal: Principal, r: FunctionRef, input: Input): Promise<FunctionRecord> {
    const f = lookup(principal, r, 'lambda:UpdateFunctionConfiguration');
    checkNotUpdating(f);
    checkRevision(f, input);
    const role = read.str(input, 'Role');
    const runtime = read.str(input, 'Runtime');
    const handler = read.str(input, 'Handler');
    const timeout = read.num(input, 'Timeout');
    const memorySize = read.num(input, 'MemorySize');
    const environment = checkEnvironment(read.obj(input, 'Environment'));
    const description = read.str(input, 'Description');
    if (role !== undefined) checkRole(role);
    if (runtime !== undefined) checkRuntime(runtime);
    if (handler !== undefined) checkHandler(handler);
    if (timeout !== undefined) checkTimeout(timeout);
    if (memorySize !== undefined) checkMemory(memorySize);
    if (role !== undefined && role !== f.role) checkAssumable(principal, role);
    const layers = input.Layers === undefined || input.Layers === null ? undefined : deps.layers.resolve(principal, f.region, input.Layers);
    if (layers) checkCombinedSize(f.unzippedSize ?? 0, layers.layers);
    if (layers) {
      const oldOpt = f.optDir;
      const letGo = hold(layers.dirs);
      try {
        const optDir = await storeOpt(f, f.generation + 1, layers.dirs);
        if (optDir) f.optDir = optDir;
        else delete f.optDir;
      } finally {
        letGo();
      }
      if (layers.layers.length) f.layers = layers.layers;
      else delete f.layers;
      if (oldOpt && oldOpt !== f.optDir) await leaveOpt(oldOpt);
    }
    if (role !== undefined) f.role = role;
    if (runtime !== undefined) f.runtime = runtime;
    if (handler !== undefined) f.handler = handler;
    if (timeout !== undefined) f.timeout = timeout;
    if (memorySize !== undefined) f.memorySize = memorySize;
    if (environment !== undefined) f.environment = environment;
    if (description !== undefined) f.description = description;
    f.generation += 1;
    invoker.retire(f, { replace: true });
    return updated(f);
  }

  function updated(f: FunctionRecord): FunctionRecord {
    touch(f);
    f.lastUpdateStatus = 'InProgress';
    rt.changed();
    later(() => {
      f.lastUpdateStatus = 'Successful';
    });
    return f;
  }

  async function remove(principal: Principal, r: FunctionRef): Promise<void> {
    const f = lookup(principal, r, 'lambda:DeleteFunction');
    if (r.qualifier !== undefined && r.qualifier !== '$LATEST') throw notFound(functionArn(r));
    delete state.functions[functionKey(f.accountId, f.region, f.name)];
    invoker.retire(f);
    rt.changed();
    await deps.unpacker.remove(join(await deps.codeRoot(), f.codeDir), await deps.files?.());
    if (f.optDir) {
      await leaveOpt(f.optDir);
      await linkNodeModules(await deps.codeRoot(), dirname(f.codeDir));
    }
  }

  function list(principal: Principal, region: string, marker: string | undefined, maxItems: number) {
    rt.authorize(principal, 'lambda:ListFunctions', '*');
    const all = Object.values(state.functions)
      .filter((f) => f.accountId === principal.accountId && f.region === region)
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const after = marker ? Buffer.from(marker, 'base64').toString('utf8') : undefined;
    const rest = after === undefined ? all : all.filter((f) => f.name > after);
    const page = rest.slice(0, maxItems);
    const next = rest.length > maxItems ? Buffer.from((page.at(-1) as FunctionRecord).name).toString('base64') : undefined;
    return { page, next };
  }

  function addPermission(principal: Principal, r: FunctionRef, input: Input): string {
    const f = lookup(principal, r, 'lambda:AddPermission');
    checkRevision(f, input);
    const st = statementFor(input as AddPermissionInput, functionArn(f));
    if ('error' in st) throw invalid(st.error);
    if (f.policy.some((s) => s.Sid === st.Sid)) {
      throw conflict('The statement id (sid) provided already exists. Please provide a new statement id, or remove the existing statement.');
    }
    f.policy.push(st);
    f.revisionId = randomUUID();
    rt.changed();
    return JSON.stringify(st);
  }

  function removePermission(principal: Principal, r: FunctionRef, sid: string, input: Input) {
    const f = lookup(principal, r, 'lambda:RemovePermission');
    checkRevision(f, input);
    const i = f.policy.findIndex((s) => s.Sid === sid);
    if (i < 0) throw new AwsError('ResourceNotFoundException', `Statement ${sid} is not found in resource policy.`, 404);
    f.policy.splice(i, 1);
    f.revisionId = randomUUID();
    rt.changed();
  }

  function getPolicy(principal: Principal, r: FunctionRef) {
    const f = lookup(principal, r, 'lambda:GetPolicy');
    if (f.policy.length === 0) throw new AwsError('ResourceNotFoundException', 'The resource you requested does not exist.', 404);
    return { Policy: policyDocument(f.policy), RevisionId: f.revisionId };
  }

  return {
    ref, lookup, create, updateCode, updateConfiguration, remove, list, addPermission, removePermission, getPolicy,
    /** The function at this ARN-like scope, without authorisation (for API Gateway's invocations). */
    find: (accountId: string, region: string, name: string) => state.functions[functionKey(accountId, region, name)],
    /** Whether some function's `/opt` is `dir` (a layer version's folder it uses), or a request is attaching it. */
    usesOpt: (dir: string) => attaching.has(dir) || Object.values(state.functions).some((f) => f.optDir === dir),
    byCodeToken: (token: string) => Object.values(state.functions).find((f) => f.codeToken === token),
    snapshot: (): LambdaState => state,
    restore(value: unknown) {
      const s = value as LambdaState | undefined;
      state = { functions: { ...(s?.functions ?? {}) } };
      // Transitions pending at shutdown have completed by the time the cloud is back.
      for (const f of Object.values(state.functions)) {
        if (f.state === 'Pending') f.state = 'Active';
        if (f.lastUpdateStatus === 'InProgress') f.lastUpdateStatus = 'Successful';
      }
    },
    close() {
      for (const t of timers) clearImmediate(t);
      timers.clear();
    },
  };
}

export type Functions = ReturnType<typeof createFunctions>;
