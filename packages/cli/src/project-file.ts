/**
 * Find and load the project of a folder: hangar.yml first, then serverless.yml. A folder is one
 * instance (its file has `component:`), or the root of an app of several instances: a file without
 * `component:` (app, org, stage shared; optionally an `instances:` map) and/or subfolders that each
 * hold an instance's file. An instance folder inside an app root takes the root's app, org and stage.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  HangarError, isAppFileValue, parseAppFileValue, parseProjectValue, projectFileNames, readProjectText,
  type ParsedAppFile, type ResolvedProject,
} from '@hangar/core';
import { isCloudCredentialVariable } from './env.js';
import type { ProjectTextReader } from './project-cache.js';

export interface LoadedProject {
  readonly dir: string;
  readonly project: ResolvedProject;
}

/** One instance of an app: its folder (where `inputs.src` is relative to) and its file as shown in messages. */
export interface AppInstanceProject {
  readonly dir: string;
  /** Relative to the app root, e.g. "api/hangar.yml", or "hangar.yml (instances.api)". */
  readonly file: string;
  readonly project: ResolvedProject;
}

export type Workspace =
  | { readonly kind: 'instance'; readonly dir: string; readonly project: ResolvedProject; readonly file: string }
  | { readonly kind: 'app'; readonly dir: string; readonly app: string; readonly stage: string; readonly org: string | undefined; readonly instances: readonly AppInstanceProject[] };

type Env = Readonly<Record<string, string | undefined>>;

interface FoundFile { readonly name: string; readonly path: string; readonly raw: unknown }

/** The folder's project file, read (YAML checked); undefined when it has none. */
function findFile(dir: string, read: ProjectTextReader): FoundFile | undefined {
  for (const name of projectFileNames) {
    let text: string;
    try {
      text = readFileSync(join(dir, name), 'utf8');
    } catch {
      continue;
    }
    if (name === 'serverless.yml' && isServerlessFrameworkFile(text)) {
      throw new HangarError('PROJECT_FRAMEWORK_UNSUPPORTED', `${join(dir, name)} is a Serverless Framework file (it has service:, provider: and functions:), which Hangar does not deploy. Hangar reads Serverless Components-style files (component:, name:, inputs:): write a hangar.yml with one instance per function — see "Migrating from the Serverless Framework" in docs/migrating.md.`, {
        details: { file: name },
      });
    }
    const path = join(dir, name);
    return { name, path, raw: read(text, name, path) };
  }
  return undefined;
}

const options = (fileName: string, env: Env, stage: string | undefined) => ({ fileName, env, stage, withheld: isCloudCredentialVariable });

/** Folders directly under `dir` holding an instance's project file, sorted by name. */
function instanceFolders(dir: string, read: ProjectTextReader): { folder: string; found: FoundFile }[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: { folder: string; found: FoundFile }[] = [];
  for (const e of entries.filter((x) => x.isDirectory() && !x.name.startsWith('.') && x.name !== 'node_modules').sort((a, b) => a.name.localeCompare(b.name))) {
    const found = findFile(join(dir, e.name), read);
    if (found && !isAppFileValue(found.raw)) out.push({ folder: e.name, found });
  }
  return out;
}

function noProject(dir: string): HangarError {
  return new HangarError('PROJECT_FILE_NOT_FOUND', `No hangar.yml or serverless.yml in ${dir}. Run the command in your project's folder, or create one with \`hangar init\`.`);
}

const parseText: ProjectTextReader = (text, name) => readProjectText(text, name);

/**
 * What the folder is: one instance (maybe inside an app root) or an app root with its instances.
 * `read` turns a file's text into plain values (a cached reader skips the YAML library).
 */
export function loadWorkspace(dir: string, env: Env, stage?: string, read: ProjectTextReader = parseText): Workspace {
  const here = findFile(dir, read);
  if (here && !isAppFileValue(here.raw)) {
    // An instance; inside an app root when the parent folder holds an app file.
    const parent = dirname(dir) === dir ? undefined : findFile(dirname(dir), read);
    const root: ParsedAppFile | undefined = parent && isAppFileValue(parent.raw) ? parseAppFileValue(parent.raw, options(`../${parent.name}`, env, stage)) : undefined;
    const file = root ? `${basename(dir)}/${here.name}` : here.name;
    const project = parseProjectValue(here.raw, {
      ...options(file, env, stage),
      ...(root ? { defaults: { app: root.app, org: root.org, stage: root.stage }, defaultName: basename(dir) } : {}),
    });
    return { kind: 'instance', dir, project, file };
  }
  const root = here ? parseAppFileValue(here.raw, options(here.name, env, stage)) : undefined;
  const instances: AppInstanceProject[] = (root?.instances ?? []).map((project) => ({ dir, file: `${here!.name} (instances.${project.name})`, project }));
  for (const { folder, found } of instanceFolders(dir, read)) {
    const file = `${folder}/${found.name}`;
    const project = parseProjectValue(found.raw, { ...options(file, env, stage), defaults: { app: root?.app, org: root?.org, stage: root?.stage }, defaultName: folder });
    instances.push({ dir: join(dir, folder), file, project });
  }
  if (instances.length === 0) {
    if (here) throw new HangarError('PROJECT_FILE_INVALID', `${here.name} is not valid:\n(file): it sets no component, so it is an app root, but it has no instances: add an instances: map, or folders holding each instance's hangar.yml (component, inputs). For a single instance, add component: and name:.`);
    throw noProject(dir);
  }
  const first = instances[0]!;
  for (const i of instances) {
    const dup = instances.find((o) => o !== i && o.project.name === i.project.name);
    if (dup) throw new HangarError('PROJECT_FILE_INVALID', `${i.file}: name: "${i.project.name}" is also the name of the instance in ${dup.file}; each instance of an app needs its own name.`);
    if (i.project.app !== first.project.app) {
      throw new HangarError('PROJECT_FILE_INVALID', `${i.file}: app: "${i.project.app}" differs from "${first.project.app}" (${first.file}); the instances of an app share one app. ${root?.app ? 'Remove app: from the instance files.' : `Set app: in the app root's ${here?.name ?? 'hangar.yml'} (e.g. \`app: ${first.project.app}\`) and leave it out of the instance files.`}`);
    }
    if (i.project.stage !== first.project.stage) {
      throw new HangarError('PROJECT_FILE_INVALID', `${i.file}: stage: "${i.project.stage}" differs from "${first.project.stage}" (${first.file}); the instances of an app are deployed to one stage. Set stage: in the app root's file, or pass --stage.`);
    }
  }
  return { kind: 'app', dir, app: first.project.app, stage: first.project.stage, org: root?.org ?? first.project.org, instances };
}

/** One instance's project (commands that act on one instance); at an app root, says to run it in an instance's folder. */
export function loadProject(dir: string, env: Env, stage?: string): LoadedProject {
  const ws = loadWorkspace(dir, env, stage);
  if (ws.kind === 'app') {
    throw new HangarError('PROJECT_FILE_INVALID', `${dir} is the root of app "${ws.app}" (instances ${ws.instances.map((i) => i.project.name).join(', ')}); this command works on one instance: run it in that instance's folder (e.g. ${ws.instances[0]!.file.split('/')[0]}/). \`hangar deploy\`, \`remove\` and \`info\` also work here, for the whole app.`);
  }
  return { dir: ws.dir, project: ws.project };
}

/**
 * A Serverless Framework (v3) file: `service:`, `provider:` and `functions:` as top-level keys
 * (and no `component:`). Looked for in the text, so the answer is the same however far the rest of
 * the file is from Hangar's schema.
 */
export function isServerlessFrameworkFile(text: string): boolean {
  const top = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^([A-Za-z_][\w-]*)\s*:/.exec(line);
    if (m) top.add(m[1]!);
  }
  return top.has('service') && top.has('provider') && top.has('functions') && !top.has('component');
}
