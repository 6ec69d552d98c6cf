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
    return { dir, project: parseProject(text, { fileName: name, env, stage, withheld: isCloudCredentialVariable }) };
  }
  throw new HangarError('PROJECT_FILE_NOT_FOUND', `No hangar.yml or serverless.yml in ${dir}. Run the command in your project's folder, or create one with \`hangar init\`.`);
}
