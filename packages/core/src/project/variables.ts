/**
 * `${...}` variables in a project file: `${env:NAME}`, `${env:NAME, 'default'}`, `${stage}`,
 * `${app}`, `${name}`, `${org}`; `${output:...}` is left in place for the engine. Pure: the environment is passed in (the CLI passes a filtered
 * copy that never holds cloud credentials), and an unresolved variable is an error naming it.
 */
import { HangarError } from '../errors.js';

export interface VariableContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Values for ${stage}, ${app}, ${name}, ${org}; a missing key means "not available here". */
  readonly self: Readonly<Partial<Record<'stage' | 'app' | 'name' | 'org', string>>>;
  /** Names the caller removed from `env` on purpose (the CLI: cloud credentials), so an unset one
   * is explained as withheld rather than as "set it", which would not help. */
  readonly withheld?: ((name: string) => boolean) | undefined;
}

const VARIABLE = /\$\{([^}]*)\}/g;
const ENV_REF = /^env:\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:,\s*(?:'([^']*)'|"([^"]*)"))?\s*$/;
const SELF_REF = /^\s*(stage|app|name|org)\s*$/;

function unresolved(path: string, ref: string, why: string): HangarError {
  return new HangarError('PROJECT_VARIABLE_UNRESOLVED', `${path}: \${${ref}} ${why}`, { details: { path, variable: ref } });
}

/** Hangar's own settings (HANGAR_TOKEN above all): never a deployment's input. A prefix, so
 * settings added later are covered too. */
const HANGAR_OWN = /^HANGAR_/i;
/** The one HANGAR_ name that is the project's, not Hangar's: nothing in Hangar reads it, and the
 * README and examples/hello-http choose the stage with `${env:HANGAR_STAGE, 'dev'}`. */
const PROJECT_OWNED = new Set(['HANGAR_STAGE']);

/** `${output:...}` is not resolved here: it is left as written for the engine (see references.ts). */
const OUTPUT_REF = /^\s*output:/;

function resolveOne(ref: string, path: string, ctx: VariableContext): string {
  if (OUTPUT_REF.test(ref)) return `\${${ref}}`;
  const env = ENV_REF.exec(ref);
  if (env) {
    const [, name, single, double] = env;
    if (HANGAR_OWN.test(name!) && !PROJECT_OWNED.has(name!)) {
      // Refused even with a default: a resolved value lands in plain text in the instance's
      // inputs (readable by every member, viewers included) and in the function's environment.
      throw new HangarError('PROJECT_VARIABLE_REFUSED', `${path}: \${${ref}} is refused: ${name} is one of Hangar's own variables (HANGAR_TOKEN is your API token), and its value would be stored in plain text in the instance's inputs, which every member of the organisation can read, and in the function's environment. Remove the reference; give the function what it needs under a name of its own.`, { details: { path, variable: name } });
    }
    const value = ctx.withheld?.(name!) ? undefined : ctx.env[name!]; // withheld even if the env passed in holds it
    if (value !== undefined) return value;
    const fallback = single ?? double;
    if (fallback !== undefined) return fallback;
    if (ctx.withheld?.(name!)) {
      throw new HangarError('PROJECT_VARIABLE_REFUSED', `${path}: \${${ref}} has no value here: ${name} is a cloud credential variable, and the CLI never passes those to project files (it reads no cloud credentials; the engine deploys with its provider's role). Remove the reference, or give a default: \${env:${name}, 'value'}`, { details: { path, variable: name } });
    }
    throw unresolved(path, ref, `has no value: the environment variable ${name} is not set. Set it (e.g. \`export ${name}=...\`) or give a default: \${env:${name}, 'value'}`);
  }
  const self = SELF_REF.exec(ref);
  if (self) {
    const key = self[1] as 'stage' | 'app' | 'name' | 'org';
    const value = ctx.self[key];
    if (value !== undefined) return value;
    throw unresolved(path, ref, key === 'org'
      ? 'has no value: the project file sets no `org`'
      : `cannot be used here: ${key} is not known yet where ${path} is read`);
  }
  throw unresolved(path, ref, 'is not a variable Hangar knows; use ${env:NAME}, ${env:NAME, \'default\'}, ${stage}, ${app}, ${name}, ${org} or ${output:<instance>.<key>}');
}

/** Replace every `${...}` in one string; `path` is the dotted path used in error messages. */
export function resolveString(text: string, path: string, ctx: VariableContext): string {
  return text.replace(VARIABLE, (_m, ref: string) => resolveOne(ref, path, ctx));
}

function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base === '' ? key : `${base}.${key}`;
}

/** Resolve variables in every string of a parsed YAML value (keys are left as written). */
export function resolveVariables(value: unknown, path: string, ctx: VariableContext): unknown {
  if (typeof value === 'string') return resolveString(value, path, ctx);
  if (Array.isArray(value)) return value.map((v, i) => resolveVariables(v, joinPath(path, i), ctx));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveVariables(v, joinPath(path, k), ctx);
    return out;
  }
  return value;
}
