/**
 * The project file's shape (`hangar.yml`, or the Serverless Components `serverless.yml`):
 * `component`, `name`, `app`, `org`, `stage`, `inputs`. Only the project shape and `inputs.src`
 * are checked here; the rest of `inputs` is the component's and is validated by the engine.
 *
 * Written as a small table of rules rather than with zod: this runs at the start of every
 * `hangar deploy`, and importing zod measured about 250 ms of a no-op deploy's wall time on the
 * benchmark machine, more than the whole budget the no-op has over listing the files
 * (bench/results/deploy.md). The engine's edges keep zod.
 */

/** `inputs.src`: a folder, or `{ src, hook, dist }` to run a build in `src` and upload `dist`. */
export type SourceInput = string | { readonly src: string; readonly hook?: string; readonly dist?: string };

export interface ProjectFile {
  readonly component: string;
  readonly name: string;
  readonly app?: string;
  readonly org?: string;
  readonly stage?: string;
  readonly inputs?: Readonly<Record<string, unknown>> & { readonly src?: SourceInput };
}

/** Validated, variable-resolved, frozen: what commands work with. */
export interface ResolvedProject {
  /** Which file it came from, e.g. "hangar.yml". */
  readonly file: string;
  readonly component: string;
  readonly name: string;
  readonly app: string;
  readonly stage: string;
  readonly org: string | undefined;
  readonly inputs: Readonly<Record<string, unknown>>;
}

/** One problem: where (path segments) and what was expected. */
export interface ProjectIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
  /** Set for a field that is not part of the shape. */
  readonly unknownField?: true;
}

const NAME = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;
const STAGE = /^[A-Za-z0-9][A-Za-z0-9-]{0,31}$/;
const COMPONENT = /^[a-z0-9][a-z0-9-]{0,63}(@[A-Za-z0-9.^~-]+)?$/;
const TOP_LEVEL = ['component', 'name', 'app', 'org', 'stage', 'inputs'];
const SOURCE_FIELDS = ['src', 'hook', 'dist'];

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

interface FieldRule {
  readonly required: boolean;
  /** The message when the value is missing or not a string. */
  readonly type: string;
  readonly pattern?: RegExp;
  /** The message when the string does not match `pattern`. */
  readonly format?: string;
}

const nameRule = (what: string): FieldRule => ({
  required: true, type: `expected the ${what} as a string`, pattern: NAME,
  format: `expected the ${what}: a letter, then letters, digits or "-" (at most 64)`,
});

const FIELDS: Readonly<Record<string, FieldRule>> = {
  component: { required: true, type: 'expected the component to deploy, e.g. "http-function"', pattern: COMPONENT, format: 'expected a component name such as "http-function" (optionally "@version")' },
  name: nameRule('instance name'),
  app: { ...nameRule('app name'), required: false },
  org: { required: false, type: 'expected the org name as a string' },
  stage: { required: false, type: 'expected the stage as a string', pattern: STAGE, format: 'expected a stage: letters, digits or "-" (at most 32), e.g. "dev"' },
};

function checkField(issues: ProjectIssue[], key: string, value: unknown, rule: FieldRule): void {
  if (value === undefined && !rule.required) return;
  if (typeof value !== 'string') issues.push({ path: [key], message: rule.type });
  else if (rule.pattern && !rule.pattern.test(value)) issues.push({ path: [key], message: rule.format ?? rule.type });
}

function checkSource(issues: ProjectIssue[], src: unknown): void {
  const shape = 'expected a folder path, or { src, hook, dist }';
  if (typeof src === 'string') {
    if (src.length === 0) issues.push({ path: ['inputs', 'src'], message: 'expected a folder path' });
    return;
  }
  if (!isRecord(src)) {
    issues.push({ path: ['inputs', 'src'], message: shape });
    return;
  }
  for (const k of Object.keys(src)) {
    if (!SOURCE_FIELDS.includes(k)) issues.push({ path: ['inputs', 'src', k], message: 'unknown field; expected only src, hook and dist', unknownField: true });
  }
  if (typeof src.src !== 'string' || src.src.length === 0) issues.push({ path: ['inputs', 'src', 'src'], message: 'expected the folder to run the hook in' });
  if (src.hook !== undefined && typeof src.hook !== 'string') issues.push({ path: ['inputs', 'src', 'hook'], message: 'expected a shell command, e.g. "npm run build"' });
  if (src.dist !== undefined && (typeof src.dist !== 'string' || src.dist.length === 0)) issues.push({ path: ['inputs', 'src', 'dist'], message: 'expected the folder the hook builds, to upload' });
}

/** Every way `raw` does not fit the project shape; empty when it fits. */
export function checkProjectShape(raw: unknown): ProjectIssue[] {
  if (!isRecord(raw)) return [{ path: [], message: 'expected a mapping with component, name, app, stage and inputs' }];
  const issues: ProjectIssue[] = [];
  for (const k of Object.keys(raw)) {
    if (!TOP_LEVEL.includes(k)) issues.push({ path: [k], message: 'unknown field; expected only component, name, app, org, stage and inputs', unknownField: true });
  }
  for (const [key, rule] of Object.entries(FIELDS)) checkField(issues, key, raw[key], rule);
  if (raw.inputs !== undefined) {
    if (!isRecord(raw.inputs)) issues.push({ path: ['inputs'], message: "expected a mapping of the component's inputs" });
    else if (raw.inputs.src !== undefined) checkSource(issues, raw.inputs.src);
  }
  return issues;
}
