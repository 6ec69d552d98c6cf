/**
 * App files: the root of an app of several instances. Two layouts (the Serverless Components one
 * and a single file):
 *
 *   my-app/hangar.yml        app: shop, org: acme, stage: dev   (optional; shared by every instance)
 *   my-app/api/hangar.yml    component: http-function, inputs: ...
 *   my-app/site/hangar.yml   component: website, inputs: ...
 *
 *   my-app/hangar.yml        app: shop
 *                            instances:
 *                              api: { component: http-function, inputs: ... }
 *                              site: { component: website, inputs: ... }
 *
 * A file with `component:` is one instance (see parse.ts); one without is an app file.
 */
import { HangarError } from '../errors.js';
import { formatIssues, parseProjectValue, readProjectText, type ParseProjectOptions } from './parse.js';
import type { ProjectIssue, ResolvedProject } from './schema.js';
import { resolveString } from './variables.js';

const NAME = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;
const APP_FIELDS = ['app', 'org', 'stage', 'instances'];

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Whether a project file's parsed value is an app file: no `component:` (nor `name:` or `inputs:`, which mean an instance that forgot it). */
export function isAppFileValue(raw: unknown): boolean {
  return isRecord(raw) && raw.component === undefined && raw.name === undefined && raw.inputs === undefined;
}

export interface ParsedAppFile {
  readonly app: string | undefined;
  readonly org: string | undefined;
  readonly stage: string | undefined;
  /** The `instances:` map, each parsed as an instance (their `src` is relative to the app root). */
  readonly instances: readonly ResolvedProject[] | undefined;
}

/** An app root's file: `app`, `org`, `stage` and optionally `instances:`. Variables resolved; `stage` is `--stage` when given. */
export function parseAppFile(text: string, options: ParseProjectOptions): ParsedAppFile {
  return parseAppFileValue(readProjectText(text, options.fileName), options);
}

export function parseAppFileValue(raw: unknown, options: ParseProjectOptions): ParsedAppFile {
  const issues: ProjectIssue[] = [];
  if (!isRecord(raw)) {
    throw new HangarError('PROJECT_FILE_INVALID', `${options.fileName} is not valid:\n${formatIssues([{ path: [], message: 'expected a mapping with app, org, stage and instances' }], raw)}`);
  }
  for (const k of Object.keys(raw)) {
    if (!APP_FIELDS.includes(k)) issues.push({ path: [k], message: 'unknown field in an app file; expected only app, org, stage and instances (or component, name and inputs for one instance)', unknownField: true });
  }
  for (const k of ['app', 'org', 'stage']) {
    if (raw[k] !== undefined && typeof raw[k] !== 'string') issues.push({ path: [k], message: `expected the ${k} as a string` });
  }
  if (raw.instances !== undefined) {
    if (!isRecord(raw.instances) || Object.keys(raw.instances).length === 0) issues.push({ path: ['instances'], message: 'expected a mapping of instance name to { component, inputs }' });
    else {
      for (const [name, value] of Object.entries(raw.instances)) {
        if (!NAME.test(name)) issues.push({ path: ['instances', name], message: 'expected an instance name as the key: a letter, then letters, digits or "-" (at most 64)', unknownField: true });
        else if (!isRecord(value)) issues.push({ path: ['instances', name], message: 'expected { component, inputs }' });
        else if (value.name !== undefined && value.name !== name) issues.push({ path: ['instances', name, 'name'], message: `expected no name, or "${name}" (the key names the instance)` });
      }
    }
  }
  if (issues.length > 0) throw new HangarError('PROJECT_FILE_INVALID', `${options.fileName} is not valid:\n${formatIssues(issues, raw)}`);
  const { env, withheld } = options;
  const stage = options.stage ?? (typeof raw.stage === 'string' ? resolveString(raw.stage, 'stage', { env, withheld, self: {} }) : undefined);
  const org = typeof raw.org === 'string' ? resolveString(raw.org, 'org', { env, withheld, self: stage === undefined ? {} : { stage } }) : undefined;
  const app = typeof raw.app === 'string'
    ? resolveString(raw.app, 'app', { env, withheld, self: { ...(stage === undefined ? {} : { stage }), ...(org === undefined ? {} : { org }) } })
    : undefined;
  if (app !== undefined && !NAME.test(app)) {
    throw new HangarError('PROJECT_FILE_INVALID', `${options.fileName} is not valid:\napp: expected the app name: a letter, then letters, digits or "-" (at most 64), got ${JSON.stringify(app)}`);
  }
  const instances = isRecord(raw.instances)
    ? Object.entries(raw.instances).map(([name, value]) => parseProjectValue(value, {
      ...options, fileName: `${options.fileName} (instances.${name})`, defaultName: name, defaults: { app, org, stage },
    }))
    : undefined;
  return { app, org, stage, instances };
}
