/** `hangar init`: a hangar.yml for an http-function, and a handler when there is none. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { HangarError } from '@hangar/core';
import type { CommandContext } from '../context.js';
import { createUi, reportError } from '../output.js';

export interface InitOptions {
  readonly name?: string | undefined;
  readonly app?: string | undefined;
  readonly force?: boolean | undefined;
}

function slug(text: string): string {
  const s = text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^[^a-z]+/, '').replace(/-+$/, '').slice(0, 64);
  return s || 'api';
}

export function projectTemplate(name: string, app: string): string {
  return `# Deployed by the Hangar engine with a role your organisation registered:
# no cloud credentials are read from this machine.
component: http-function
name: ${name}
app: ${app}
stage: dev
inputs:
  src: ./src
  handler: index.handler
  memory: 256
  timeout: 10
  env:
    STAGE: \${stage}
`;
}

const HANDLER = `export const handler = async (event) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ message: 'hello from hangar', path: event.rawPath ?? '/' }),
});
`;

export async function init(ctx: CommandContext, options: InitOptions = {}): Promise<number> {
  try {
    const file = join(ctx.cwd, 'hangar.yml');
    if (existsSync(file) && !options.force) {
      throw new HangarError('CONFLICT', `${file} already exists; edit it, or run \`hangar init --force\` to overwrite it.`);
    }
    const name = slug(options.name ?? basename(ctx.cwd));
    writeFileSync(file, projectTemplate(name, slug(options.app ?? name)));
    const ui = createUi(ctx);
    ui.success(`Wrote ${file}`);
    const handler = join(ctx.cwd, 'src', 'index.mjs');
    if (!existsSync(join(ctx.cwd, 'src'))) {
      mkdirSync(join(ctx.cwd, 'src'), { recursive: true });
      writeFileSync(handler, HANDLER);
      ui.success(`Wrote ${handler}`);
    }
    ui.info('Next: `hangar deploy`');
    return 0;
  } catch (e) {
    return reportError(ctx, e, false);
  }
}
