import { z } from 'zod';
import { httpFunctionInputs } from '../http-function/inputs.js';

/**
 * http-function's inputs, with `entry` (the file exporting the Express app) instead of `handler`:
 * the component writes the Lambda handler itself.
 */
export const expressInputs = httpFunctionInputs.omit({ handler: true }).extend({
  entry: z.string({ error: 'expected the path of the file exporting your app inside src, e.g. app.js' })
    .max(200, { error: 'expected at most 200 characters' })
    .regex(/^[^\s]+\.(?:js|mjs|cjs)$/, { error: 'expected a .js, .mjs or .cjs file inside src, e.g. app.js or src/server.mjs' })
    .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), { error: 'expected a file inside src: no ".." path segment and no leading "/"' })
    .default('app.js')
    .describe('The file exporting the Express app (module.exports = app, export default app, or export const app); default app.js'),
});

export type ExpressInputs = z.output<typeof expressInputs>;
