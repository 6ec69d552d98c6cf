/** Find and load the project file of a folder: hangar.yml first, then serverless.yml. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HangarError, parseProject, projectFileNames, type ResolvedProject } from '@hangar/core';
import { isCloudCredentialVariable } from './env.js';

export interface LoadedProject {
  readonly dir: string;
  readonly project: ResolvedProject;
}

export function loadProject(dir: string, env: Readonly<Record<string, string | undefined>>, stage?: string): LoadedProject {
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
    return { dir, project: parseProject(text, { fileName: name, env, stage, withheld: isCloudCredentialVariable }) };
  }
  throw new HangarError('PROJECT_FILE_NOT_FOUND', `No hangar.yml or serverless.yml in ${dir}. Run the command in your project's folder, or create one with \`hangar init\`.`);
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
