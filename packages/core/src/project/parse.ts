/**
 * Parse a project file's text into a frozen `ResolvedProject`: YAML -> variables -> schema.
 * Pure (no file system): the caller reads the file and passes the (filtered) environment.
 */
import { createRequire } from 'node:module';
import type { parseDocument as ParseDocument } from 'yaml';
import { HangarError } from '../errors.js';
import { checkProjectShape, type ProjectFile, type ProjectIssue, type ResolvedProject } from './schema.js';
import { resolveString, resolveVariables, type VariableContext } from './variables.js';

export const projectFileNames = ['hangar.yml', 'hangar.yaml', 'serverless.yml', 'serverless.yaml'] as const;

export interface ParseProjectOptions {
  /** Shown in messages, e.g. "hangar.yml". */
  readonly fileName: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `--stage`: wins over the file's `stage`. */
  readonly stage?: string | undefined;
  /** Variables removed from `env` on purpose (see `VariableContext.withheld`). */
  readonly withheld?: ((name: string) => boolean) | undefined;
  /** An instance of an app: what the app root's file sets (used when the instance's file leaves them out). */
  readonly defaults?: { readonly app?: string | undefined; readonly org?: string | undefined; readonly stage?: string | undefined } | undefined;
  /** An instance of an app: its name when the file sets none (the folder's name). */
  readonly defaultName?: string | undefined;
}

function dotted(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out === '' ? String(k) : `.${String(k)}`;
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** One line per issue: `inputs.src: expected a folder path, got 42`. */
export function formatIssues(issues: readonly ProjectIssue[], root: unknown): string {
  return issues.map((issue) => {
    const path = dotted(issue.path) || '(file)';
    return issue.unknownField ? `${path}: ${issue.message}` : `${path}: ${issue.message}, got ${shown(valueAt(root, issue.path))}`;
  }).join('\n');
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * The yaml library, loaded on first use: it is most of what loading this package costs (about
 * 100 ms of a CLI start), and a CLI that finds a project file's parse in its cache needs none of it.
 * Node's require cache keeps the one copy.
 */
function parseDocument(...args: Parameters<typeof ParseDocument>): ReturnType<typeof ParseDocument> {
  const yaml = createRequire(import.meta.url)('yaml') as { parseDocument: typeof ParseDocument };
  return yaml.parseDocument(...args);
}

/** More alias uses than any hand-written file needs; a "billion laughs" file needs far more. */
const MAX_ALIAS_COUNT = 100;

/** YAML to plain values, refusing alias bombs (each alias expands to its whole anchor). */
function toPlain(doc: ReturnType<typeof parseDocument>, fileName: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (e) {
    // The yaml library throws a ReferenceError for aliases it will not expand (too many, or
    // used before their anchor); anything else from a document that parsed is a bug, not the file's.
    if (!(e instanceof ReferenceError)) throw e;
    const excessive = /excessive alias count/i.test(e.message);
    throw new HangarError('PROJECT_FILE_INVALID', excessive
      ? `${fileName} expands YAML aliases (*name) beyond ${MAX_ALIAS_COUNT} copies, the shape of a "billion laughs" file that exhausts memory; write the values out, or reuse fewer anchors.`
      : `${fileName} is not valid YAML: ${e.message}`, { cause: e });
  }
}

/** The path of the first `__proto__` key (or `constructor` holding `prototype`): harmless in the
 * parsed value, but JavaScript code that copies it changes a prototype, so the engine refuses
 * such keys in any JSON it receives; better said here, in the project file's terms. */
function protoKeyPath(value: unknown, path: readonly PropertyKey[]): PropertyKey[] | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = protoKeyPath(value[i], [...path, i]);
      if (found) return found;
    }
    return undefined;
  }
  const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
  if (own(value, '__proto__')) return [...path, '__proto__'];
  const ctor = (value as Record<string, unknown>).constructor;
  if (own(value, 'constructor') && ctor !== null && typeof ctor === 'object' && own(ctor, 'prototype')) return [...path, 'constructor', 'prototype'];
  for (const [k, v] of Object.entries(value)) {
    const found = protoKeyPath(v, [...path, k]);
    if (found) return found;
  }
  return undefined;
}

/** A project file's text as plain values: YAML checked, alias bombs and prototype keys refused. */
export function readProjectText(text: string, fileName: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new HangarError('PROJECT_FILE_INVALID', `${fileName} is not valid YAML: ${doc.errors[0]!.message}`);
  }
  const raw: unknown = toPlain(doc, fileName);
  const proto = protoKeyPath(raw, []);
  if (proto) {
    const what = proto.at(-1) === '__proto__' ? '"__proto__"' : '"constructor" holding "prototype"';
    throw new HangarError('PROJECT_FILE_INVALID', `${fileName} is not valid:\n${dotted(proto)}: a key named ${what} is not accepted: JavaScript code that copies it changes an object's prototype (prototype pollution). Rename the key.`);
  }
  return raw;
}

export function parseProject(text: string, options: ParseProjectOptions): ResolvedProject {
  return parseProjectValue(readProjectText(text, options.fileName), options);
}

/** `parseProject` of a value already read (an entry of an app file's `instances:`). */
export function parseProjectValue(input: unknown, options: ParseProjectOptions): ResolvedProject {
  let raw = input;
  const d = options.defaults;
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const r = raw as Record<string, unknown>;
    raw = {
      ...(r.name === undefined && options.defaultName !== undefined ? { name: options.defaultName } : {}),
      ...(r.app === undefined && d?.app !== undefined ? { app: d.app } : {}),
      ...(r.org === undefined && d?.org !== undefined ? { org: d.org } : {}),
      ...(r.stage === undefined && d?.stage !== undefined ? { stage: d.stage } : {}),
      ...r,
    };
  }
  // Check the shape before variables so a typo is reported as such, not as a missing variable;
  // each ${...} stands in as "x" here, and the resolved values are checked again below.
  const placeholder: VariableContext = { env: new Proxy({}, { get: () => 'x' }), self: { stage: 'x', app: 'x', name: 'x', org: 'x' } };
  const shapeIssues = checkProjectShape(resolveVariables(raw, '', { ...placeholder }));
  if (shapeIssues.length > 0) {
    throw new HangarError('PROJECT_FILE_INVALID', `${options.fileName} is not valid:\n${formatIssues(shapeIssues, raw)}`);
  }
  const file = raw as ProjectFile;
  const { env, withheld } = options;
  const stageCtx: VariableContext = { env, withheld, self: {} };
  const stage = options.stage ?? (file.stage === undefined ? 'dev' : resolveString(file.stage, 'stage', stageCtx));
  const org = file.org === undefined ? undefined : resolveString(file.org, 'org', { env, withheld, self: { stage } });
  const app = resolveString(file.app ?? file.name, 'app', { env, withheld, self: { stage, ...(org === undefined ? {} : { org }) } });
  const name = resolveString(file.name, 'name', { env, withheld, self: { stage, app, ...(org === undefined ? {} : { org }) } });
  const ctx: VariableContext = { env, withheld, self: { stage, app, name, ...(org === undefined ? {} : { org }) } };
  const inputs = resolveVariables(file.inputs ?? {}, 'inputs', ctx) as Record<string, unknown>;
  // Resolved values must still fit the shape (e.g. a stage from ${env:STAGE}).
  const resolved = { component: file.component, name, app, stage, ...(org === undefined ? {} : { org }), inputs };
  const again = checkProjectShape(resolved);
  if (again.length > 0) {
    throw new HangarError('PROJECT_FILE_INVALID', `${options.fileName} is not valid once its variables are resolved:\n${formatIssues(again, resolved)}`);
  }
  return deepFreeze({ file: options.fileName, component: file.component, name, app, stage, org, inputs });
}
