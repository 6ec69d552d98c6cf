/**
 * The project file's shape (`hangar.yml`, or the Serverless Components `serverless.yml`):
 * `component`, `name`, `app`, `org`, `stage`, `inputs`. Only the project shape and `inputs.src`
 * are checked here; the rest of `inputs` is the component's and is validated by the engine.
 */
import { z } from 'zod';

const NAME = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;
const STAGE = /^[A-Za-z0-9][A-Za-z0-9-]{0,31}$/;
const COMPONENT = /^[a-z0-9][a-z0-9-]{0,63}(@[A-Za-z0-9.^~-]+)?$/;

const nameField = (what: string) =>
  z.string({ error: `expected the ${what} as a string` })
    .regex(NAME, { error: `expected the ${what}: a letter, then letters, digits or "-" (at most 64)` });

/** `inputs.src`: a folder, or `{ src, hook, dist }` to run a build in `src` and upload `dist`. */
export const sourceInputSchema = z.union([
  z.string({ error: 'expected a folder path' }).min(1, { error: 'expected a folder path' }),
  z.strictObject({
    src: z.string({ error: 'expected the folder to run the hook in' }).min(1, { error: 'expected a folder path' }),
    hook: z.string({ error: 'expected a shell command, e.g. "npm run build"' }).optional(),
    dist: z.string({ error: 'expected the folder the hook builds, to upload' }).optional(),
  }, { error: 'expected a folder path, or { src, hook, dist }' }),
], { error: 'expected a folder path, or { src, hook, dist }' });

export const projectFileSchema = z.strictObject({
  component: z.string({ error: 'expected the component to deploy, e.g. "http-function"' })
    .regex(COMPONENT, { error: 'expected a component name such as "http-function" (optionally "@version")' }),
  name: nameField('instance name'),
  app: nameField('app name').optional(),
  org: z.string({ error: 'expected the org name as a string' }).optional(),
  stage: z.string({ error: 'expected the stage as a string' })
    .regex(STAGE, { error: 'expected a stage: letters, digits or "-" (at most 32), e.g. "dev"' }).optional(),
  inputs: z.looseObject({ src: sourceInputSchema.optional() }, { error: 'expected a mapping of the component\'s inputs' }).optional(),
}, { error: 'expected a mapping with component, name, app, stage and inputs' });

export type ProjectFile = z.infer<typeof projectFileSchema>;
export type SourceInput = z.infer<typeof sourceInputSchema>;

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
