import { z } from 'zod';

const srcFolder = z.string({ error: 'expected a folder path' }).min(1, { error: 'expected a folder path' });

/**
 * `inputs.src` of a component that ships files: a folder, or `{ src, hook, dist }` (the CLI runs
 * `hook` in `src`, then uploads `dist`; the engine never runs user commands).
 */
export const sourceInput = z.union([
  srcFolder,
  z.strictObject({ src: srcFolder, hook: z.string({ error: 'expected a shell command' }).optional(), dist: srcFolder.optional() }),
], { error: 'expected a folder path, or { src, hook, dist } to run a build first' });
