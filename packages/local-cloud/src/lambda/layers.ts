/**
 * Lambda layers: versions published from a zip or an S3 object, numbered per layer name, read,
 * listed and deleted with AWS's shapes and IAM names (`lambda:PublishLayerVersion` on
 * `arn:aws:lambda:<region>:<account>:layer:<name>`, `lambda:GetLayerVersion` and
 * `lambda:DeleteLayerVersion` on the version ARN, `lambda:ListLayers`/`ListLayerVersions` on `*`),
 * and the merge of a function's layers into its own `/opt` folder.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFile, link, mkdir, readdir, readlink, rename, rm, symlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { AwsError, type CloudRuntime, type Principal } from '../internal/contract.js';
import type { S3Api } from '../s3/index.js';
import { type CodeUnpacker, type FileStore } from './code.js';
import { lambdaTimestamp, layerArn, type FunctionLayer, type LayerRecord, type LayerStatement, type LayerVersionRecord } from './model.js';
import { codeFrom } from './source.js';
import { read } from './validate.js';

/** At most five layers per function, as on AWS. */
export const MAX_LAYERS = 5;

const invalid = (m: string) => new AwsError('InvalidParameterValueException', m);
const validation = (m: string) => new AwsError('ValidationException', m);
const notFound = () => new AwsError('ResourceNotFoundException', 'The resource you requested does not exist.', 404);

const LAYER_NAME = /^(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+|[a-zA-Z0-9-_]+)$/;
const LAYER_VERSION_ARN = /^arn:[a-zA-Z0-9-]+:lambda:([a-zA-Z0-9-]+):(\d{12}):layer:([a-zA-Z0-9-_]+):([0-9]+)$/;
const LAYER_ARN_RULE = 'arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+';

export interface LayersDeps {
  readonly rt: CloudRuntime;
  readonly codeRoot: () => Promise<string>;
  /** S3's internal API, for `Content.S3Bucket`; undefined when the cloud serves no S3. */
  readonly s3: () => S3Api | undefined;
  /** The cloud's endpoint, for `Content.Location`. */
  readonly endpoint: () => string;
  /** Content-addressed file store shared with function code (each distinct file written once). */
  readonly files?: () => Promise<FileStore>;
  /**
   * A deleted version's folder (relative to the code root): freed in the background once no
   * function uses it any more (see sweeper.ts). Without it the folder stays.
   */
  readonly dropped?: (dir: string) => void;
  /** Checks and unpacks code zips (in a worker thread when large). */
  readonly unpacker: CodeUnpacker;
}

type Input = Record<string, unknown>;

interface Scope { accountId: string; region: string; name: string }

/** A layer name path parameter: a name or a layer ARN (without version). */
function layerScope(principal: Principal, region: string, nameOrArn: string): Scope {
  const name = decodeURIComponent(nameOrArn);
  if (name.length < 1 || name.length > 140 || !LAYER_NAME.test(name)) {
    throw validation(`1 validation error detected: Value '${name}' at 'layerName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+`);
  }
  const m = /^arn:[a-zA-Z0-9-]+:lambda:([a-zA-Z0-9-]+):(\d{12}):layer:(.+)$/.exec(name);
  return m ? { region: m[1] as string, accountId: m[2] as string, name: m[3] as string } : { region, accountId: principal.accountId, name };
}

function versionNumber(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) {
    throw validation(`1 validation error detected: Value '${v}' at 'versionNumber' failed to satisfy constraint: Member must be a number`);
  }
  return n;
}

const key = (s: Scope) => `${s.accountId}/${s.region}/${s.name}`;

function strList(input: Input, field: string, max: number): string[] | undefined {
  const v = input[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalid(`${field}: expected a list of strings`);
  if (v.length > max) {
    throw validation(`1 validation error detected: Value '[${v.join(', ')}]' at '${field[0]?.toLowerCase()}${field.slice(1)}' failed to satisfy constraint: Member must have length less than or equal to ${max}`);
  }
  return [...v] as string[];
}

export function createLayers(deps: LayersDeps) {
  const { rt } = deps;
  let layers: Record<string, LayerRecord> = {};

  const versionArn = (l: Scope, v: number) => `${layerArn(l)}:${v}`;

  function listItem(l: LayerRecord, v: LayerVersionRecord) {
    return {
      LayerVersionArn: versionArn(l, v.version),
      Version: v.version,
      Description: v.description,
      CreatedDate: v.createdDate,
      ...(v.compatibleRuntimes ? { CompatibleRuntimes: [...v.compatibleRuntimes] } : {}),
      ...(v.licenseInfo !== undefined ? { LicenseInfo: v.licenseInfo } : {}),
      ...(v.compatibleArchitectures ? { CompatibleArchitectures: [...v.compatibleArchitectures] } : {}),
    };
  }

  function versionOf(l: LayerRecord, v: LayerVersionRecord) {
    const { LayerVersionArn, ...rest } = listItem(l, v);
    return {
      Content: { Location: `${deps.endpoint()}/_aws/lambda-layer/${v.codeToken}`, CodeSha256: v.codeSha256, CodeSize: v.codeSize },
      LayerArn: layerArn(l),
      LayerVersionArn,
      ...rest,
    };
  }

  /**
   * The version, after authorising `action` on its ARN. Another account's version is visible
   * only for `lambda:GetLayerVersion` and only when its AddLayerVersionPermission policy names the
   * caller's account or `*` (organisations are not modelled: an `OrganizationId` statement never matches).
   */
  function find(principal: Principal, s: Scope, version: number, action: string): { l: LayerRecord; v: LayerVersionRecord } {
    if (s.accountId === principal.accountId) rt.authorize(principal, action, versionArn(s, version));
    else rt.identity.authorizeCaller(principal, action, versionArn(s, version));
    const l = layers[key(s)];
    const v = l?.versions[String(version)];
    if (!l || !v) throw notFound();
    if (s.accountId !== principal.accountId) {
      const shared = action === 'lambda:GetLayerVersion' && (v.policy ?? []).some((st) => !st.Condition &&
        (st.Principal === '*' || st.Principal.AWS === `arn:aws:iam::${principal.accountId}:root`));
      if (!shared) {
        throw new AwsError('AccessDeniedException', `User: ${principal.arn} is not authorized to perform: ${action} on resource: ${versionArn(s, version)} because no resource-based policy allows the ${action} action`, 403);
      }
    }
    return { l, v };
  }

  /** The caller's own version for the policy operations (owner only). */
  function own(principal: Principal, region: string, nameParam: string, version: string, action: string) {
    const s = layerScope(principal, region, nameParam);
    const n = versionNumber(version);
    rt.authorize(principal, action, versionArn(s, n));
    const v = s.accountId === principal.accountId ? layers[key(s)]?.versions[String(n)] : undefined;
    if (!v) throw notFound();
    return { s, v };
  }

  function checkPolicyRevision(v: LayerVersionRecord, revisionId: string | undefined) {
    if (revisionId !== undefined && revisionId !== v.policyRevisionId) {
      throw new AwsError('PreconditionFailedException', 'The Revision Id provided does not match the latest Revision Id. Call the GetLayerVersionPolicy API to retrieve the latest Revision Id', 412);
    }
  }

  function addPermission(principal: Principal, region: string, nameParam: string, version: string, input: Input) {
    const { s, v } = own(principal, region, nameParam, version, 'lambda:AddLayerVersionPermission');
    checkPolicyRevision(v, read.str(input, 'RevisionId'));
    const sid = read.str(input, 'StatementId');
    const action = read.str(input, 'Action');
    const who = read.str(input, 'Principal');
    const org = read.str(input, 'OrganizationId');
    if (sid === undefined || !/^[a-zA-Z0-9-_]{1,100}$/.test(sid)) {
      throw validation(`1 validation error detected: Value '${sid ?? null}' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)`);
    }
    if (action !== 'lambda:GetLayerVersion') {
      throw validation(`1 validation error detected: Value '${action ?? null}' at 'action' failed to satisfy constraint: Member must satisfy regular expression pattern: lambda:GetLayerVersion`);
    }
    if (who === undefined || !/^(\d{12}|\*|arn:(aws[a-zA-Z-]*):iam::\d{12}:root)$/.test(who)) {
      throw validation(`1 validation error detected: Value '${who ?? null}' at 'principal' failed to satisfy constraint: Member must satisfy regular expression pattern: \\d{12}|\\*|arn:(aws[a-zA-Z-]*):iam::\\d{12}:root`);
    }
    if (org !== undefined && who !== '*') throw invalid('OrganizationId can only be specified with Principal "*".');
    if ((v.policy ?? []).some((st) => st.Sid === sid)) {
      throw new AwsError('ResourceConflictException', `The statement id (${sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`, 409);
    }
    const statement: LayerStatement = {
      Sid: sid, Effect: 'Allow',
      Principal: who === '*' ? '*' : { AWS: /^\d{12}$/.test(who) ? `arn:aws:iam::${who}:root` : who },
      Action: 'lambda:GetLayerVersion', Resource: versionArn(s, v.version),
      ...(org !== undefined ? { Condition: { StringEquals: { 'aws:PrincipalOrgID': org } } } : {}),
    };
    v.policy = [...(v.policy ?? []), statement];
    v.policyRevisionId = randomUUID();
    rt.changed();
    return { Statement: JSON.stringify(statement), RevisionId: v.policyRevisionId };
  }

  function getPolicy(principal: Principal, region: string, nameParam: string, version: string) {
    const { v } = own(principal, region, nameParam, version, 'lambda:GetLayerVersionPolicy');
    if (!v.policy?.length) throw notFound();
    return { Policy: JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: v.policy }), RevisionId: v.policyRevisionId };
  }

  function removePermission(principal: Principal, region: string, nameParam: string, version: string, sid: string, revisionId: string | undefined) {
    const { v } = own(principal, region, nameParam, version, 'lambda:RemoveLayerVersionPermission');
    checkPolicyRevision(v, revisionId);
    const i = (v.policy ?? []).findIndex((st) => st.Sid === sid);
    if (i < 0) throw new AwsError('ResourceNotFoundException', `Statement ${sid} is not found in resource policy.`, 404);
    v.policy = (v.policy ?? []).filter((st) => st.Sid !== sid);
    v.policyRevisionId = randomUUID();
    rt.changed();
  }

  async function publish(principal: Principal, region: string, nameParam: string, input: Input) {
    const s = layerScope(principal, region, nameParam);
    rt.authorize(principal, 'lambda:PublishLayerVersion', layerArn(s));
    if (s.accountId !== principal.accountId || s.region !== region) {
      throw invalid('Layers can only be published in the caller\'s own account and region.');
    }
    const description = read.str(input, 'Description') ?? '';
    if (description.length > 256) throw validation(`1 validation error detected: Value '${description}' at 'description' failed to satisfy constraint: Member must have length less than or equal to 256`);
    const licenseInfo = read.str(input, 'LicenseInfo');
    if (licenseInfo !== undefined && licenseInfo.length > 512) throw validation(`1 validation error detected: Value '${licenseInfo}' at 'licenseInfo' failed to satisfy constraint: Member must have length less than or equal to 512`);
    const compatibleRuntimes = strList(input, 'CompatibleRuntimes', 15);
    const compatibleArchitectures = strList(input, 'CompatibleArchitectures', 2);
    for (const a of compatibleArchitectures ?? []) {
      if (a !== 'x86_64' && a !== 'arm64') throw validation(`1 validation error detected: Value '[${a}]' at 'compatibleArchitectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]`);
    }
    const content = read.obj(input, 'Content');
    if (!content) throw validation('1 validation error detected: Value null at \'content\' failed to satisfy constraint: Member must not be null');
    const code = await codeFrom(principal, region, content, 'PublishLayerVersion', deps.s3(), 'layer content', deps.unpacker);
    const k = key(s);
    const l: LayerRecord = layers[k] ?? { accountId: s.accountId, region: s.region, name: s.name, latest: 0, versions: {} };
    layers[k] = l;
    const version = l.latest + 1;
    l.latest = version;
    const dir = join('layers', s.accountId, s.region, s.name, String(version));
    try {
      await deps.unpacker.write(join(await deps.codeRoot(), dir), code, await deps.files?.());
    } catch (e) {
      if (Object.keys(l.versions).length === 0 && l.latest === version) delete layers[k];
      throw e;
    }
    const v: LayerVersionRecord = {
      version, description, ...(licenseInfo !== undefined ? { licenseInfo } : {}),
      ...(compatibleRuntimes ? { compatibleRuntimes } : {}), ...(compatibleArchitectures ? { compatibleArchitectures } : {}),
      createdDate: lambdaTimestamp(rt.now()), codeSha256: code.sha256, codeSize: code.size, unzippedSize: code.unzippedSize,
      dir, codeToken: randomBytes(24).toString('hex'),
    };
    l.versions[String(version)] = v;
    rt.changed();
    return versionOf(l, v);
  }

  function get(principal: Principal, region: string, nameParam: string, version: string) {
    const { l, v } = find(principal, layerScope(principal, region, nameParam), versionNumber(version), 'lambda:GetLayerVersion');
    return versionOf(l, v);
  }

  function getByArn(principal: Principal, arn: string) {
    const m = LAYER_VERSION_ARN.exec(arn);
    if (!m) throw validation(`1 validation error detected: Value '${arn}' at 'arn' failed to satisfy constraint: Member must satisfy regular expression pattern: ${LAYER_ARN_RULE}`);
    const { l, v } = find(principal, { region: m[1] as string, accountId: m[2] as string, name: m[3] as string }, Number(m[4]), 'lambda:GetLayerVersion');
    return versionOf(l, v);
  }

  /** Newest first, as AWS lists them; `runtime`/`architecture` filter on the compatible lists. */
  function matching(l: LayerRecord, runtime?: string, architecture?: string): LayerVersionRecord[] {
    return Object.values(l.versions)
      .filter((v) => !runtime || v.compatibleRuntimes?.includes(runtime))
      .filter((v) => !architecture || v.compatibleArchitectures?.includes(architecture))
      .sort((a, b) => b.version - a.version);
  }

  function page<T>(all: T[], marker: string | undefined, maxItems: string | undefined, id: (t: T) => string) {
    const max = maxItems === undefined ? 50 : Number(maxItems);
    if (!Number.isInteger(max) || max < 1 || max > 50) {
      throw validation(`1 validation error detected: Value '${maxItems}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 50`);
    }
    const after = marker ? Buffer.from(marker, 'base64').toString('utf8') : undefined;
    const start = after === undefined ? 0 : all.findIndex((t) => id(t) === after) + 1;
    const items = all.slice(start, start + max);
    const next = start + max < all.length ? Buffer.from(id(items.at(-1) as T)).toString('base64') : undefined;
    return { items, next };
  }

  function listVersions(principal: Principal, region: string, nameParam: string, q: Record<string, string | undefined>) {
    const s = layerScope(principal, region, nameParam);
    rt.authorize(principal, 'lambda:ListLayerVersions', '*');
    const l = s.accountId === principal.accountId ? layers[key(s)] : undefined;
    const all = l ? matching(l, q.CompatibleRuntime, q.CompatibleArchitecture) : [];
    const { items, next } = page(all, q.Marker, q.MaxItems, (v) => String(v.version));
    return { LayerVersions: items.map((v) => listItem(l as LayerRecord, v)), ...(next ? { NextMarker: next } : {}) };
  }

  function listLayers(principal: Principal, region: string, q: Record<string, string | undefined>) {
    rt.authorize(principal, 'lambda:ListLayers', '*');
    const all = Object.values(layers)
      .filter((l) => l.accountId === principal.accountId && l.region === region)
      .map((l) => ({ l, latest: matching(l, q.CompatibleRuntime, q.CompatibleArchitecture)[0] }))
      .filter((x): x is { l: LayerRecord; latest: LayerVersionRecord } => x.latest !== undefined)
      .sort((a, b) => (a.l.name < b.l.name ? -1 : 1));
    const { items, next } = page(all, q.Marker, q.MaxItems, (x) => x.l.name);
    return {
      Layers: items.map(({ l, latest }) => ({ LayerName: l.name, LayerArn: layerArn(l), LatestMatchingVersion: listItem(l, latest) })),
      ...(next ? { NextMarker: next } : {}),
    };
  }

  /**
   * Deletes one version (a no-op when it does not exist, as on AWS) and answers: its files are
   * freed in the background (`dropped`), and only once no function uses the version any more
   * (a function whose `/opt` is this version's folder keeps working, as on AWS).
   */
  function remove(principal: Principal, region: string, nameParam: string, version: string) {
    const s = layerScope(principal, region, nameParam);
    const n = versionNumber(version);
    rt.authorize(principal, 'lambda:DeleteLayerVersion', versionArn(s, n));
    const l = s.accountId === principal.accountId ? layers[key(s)] : undefined;
    const v = l?.versions[String(n)];
    if (!l || !v) return;
    delete l.versions[String(n)];
    rt.changed();
    deps.dropped?.(v.dir);
  }

  /**
   * Checks a function's `Layers` (at most 5 version ARNs, each existing and readable by the
   * caller with `lambda:GetLayerVersion`, no layer twice, in the function's region) and returns
   * them with their unpacked folders, in order.
   */
  function resolve(principal: Principal, region: string, arns: unknown): { layers: FunctionLayer[]; dirs: string[] } {
    if (!Array.isArray(arns) || arns.some((a) => typeof a !== 'string')) throw invalid('Layers: expected a list of layer version ARNs');
    const list = arns as string[];
    for (const a of list) {
      if (a.length < 1 || a.length > 140 || !LAYER_VERSION_ARN.test(a)) {
        throw validation(`1 validation error detected: Value '[${list.join(', ')}]' at 'layers' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 140, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: ${LAYER_ARN_RULE}, Member must not be null]`);
      }
    }
    if (list.length > MAX_LAYERS) throw invalid(`Cannot reference more than ${MAX_LAYERS} layers.`);
    const seen = new Map<string, string>();
    const out: FunctionLayer[] = [];
    const dirs: string[] = [];
    for (const a of list) {
      const m = LAYER_VERSION_ARN.exec(a) as RegExpExecArray;
      const s = { region: m[1] as string, accountId: m[2] as string, name: m[3] as string };
      const other = seen.get(layerArn(s));
      if (other !== undefined) {
        throw invalid(`Two different versions of the same layer are not allowed to be referenced in the same function. ${other} and ${a} are versions of the same layer.`);
      }
      seen.set(layerArn(s), a);
      if (s.region !== region) throw invalid(`Layers are not in the same region as the function. Layers are expected to be in region ${region}.`);
      let found;
      try {
        found = find(principal, s, Number(m[4]), 'lambda:GetLayerVersion');
      } catch (e) {
        if (e instanceof AwsError && e.code === 'ResourceNotFoundException') throw invalid(`Layer version ${a} does not exist.`);
        throw e;
      }
      out.push({ arn: versionArn(s, found.v.version), codeSize: found.v.codeSize, unzippedSize: found.v.unzippedSize });
      dirs.push(found.v.dir);
    }
    return { layers: out, dirs };
  }

  return {
    publish, get, getByArn, listVersions, listLayers, remove, resolve, addPermission, getPolicy, removePermission,
    /** Whether a (not deleted) version's unpacked folder is `dir` (relative to the code root). */
    holds(dir: string): boolean {
      for (const l of Object.values(layers)) for (const v of Object.values(l.versions)) if (v.dir === dir) return true;
      return false;
    },
    byCodeToken(token: string): LayerVersionRecord | undefined {
      for (const l of Object.values(layers)) for (const v of Object.values(l.versions)) if (v.codeToken === token) return v;
      return undefined;
    },
    snapshot: () => layers,
    restore(value: unknown) {
      layers = { ...((value as Record<string, LayerRecord> | undefined) ?? {}) };
    },
  };
}

export type Layers = ReturnType<typeof createLayers>;

/**
 * Builds a function's `/opt` from several layers: the layers' folders hard-linked in order into
 * `optDir` (a later layer's file replaces an earlier one's, as AWS extracts them), and
 * `<optDir>/../node_modules` pointed at `<optDir>/nodejs/node_modules` so ES modules in the task
 * root (`<optDir>/../<generation>`) resolve layer packages the way Node's ESM resolver walks up
 * from the importing file. (With one layer there is nothing to merge: the function's `/opt` is
 * that version's own folder, see functions.ts `storeOpt`.)
 */
export async function mergeLayers(root: string, optDir: string, dirs: readonly string[]): Promise<void> {
  const target = join(root, optDir);
  await rm(target, { recursive: true, force: true });
  await mkdir(target, { recursive: true });
  for (const d of dirs) await linkTree(join(root, d), target);
  await linkNodeModules(root, dirname(optDir), optDir);
}

/**
 * Copies a folder as hard links (the layer's files are not read or written again); a file already
 * there (an earlier layer's) is replaced. Falls back to copying across file systems.
 */
async function linkTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const e of await readdir(from, { withFileTypes: true })) {
    const src = join(from, e.name);
    const dst = join(to, e.name);
    if (e.isDirectory()) {
      await linkTree(src, dst);
      continue;
    }
    await rm(dst, { force: true });
    if (e.isSymbolicLink()) {
      await symlink(await readlink(src), dst);
      continue;
    }
    try {
      await link(src, dst);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      await copyFile(src, dst);
    }
  }
}

/**
 * Points the function's `node_modules` link (`<fnDir>/node_modules`, next to its task roots) at
 * `<optDir>/nodejs/node_modules` (a relative link, so the data dir may move), or removes it with
 * no optDir or no `nodejs/node_modules` in it. `optDir` is the function's own merged folder or,
 * with one layer, that layer version's folder.
 */
export async function linkNodeModules(root: string, fnDir: string, optDir?: string): Promise<void> {
  const base = join(root, fnDir);
  const link = join(base, 'node_modules');
  const tmp = `${link}.${randomBytes(4).toString('hex')}`;
  const target = optDir ? join(root, optDir, 'nodejs', 'node_modules') : undefined;
  if (target && existsSync(target)) {
    await mkdir(base, { recursive: true });
    await symlink(relative(base, target), tmp, 'dir');
    await rename(tmp, link);
  } else {
    await rm(link, { force: true });
  }
}
