import { z } from 'zod';

/** Keys Lambda sets itself and refuses in a function's configuration. */
const reservedEnvNames = new Set([
  '_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_EXECUTION_ENV', 'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_ACCESS_KEY', 'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR', 'TZ',
]);
/** Lambda's own rule for variable names. */
const envNamePattern = /^[a-zA-Z][a-zA-Z0-9_]+$/;
/** Lambda caps the variables' total size at 4 KB. */
const maxEnvBytes = 4096;

/** Whole numbers from YAML arrive as numbers; `${env:X}` values arrive as strings of digits. */
const wholeNumber = (min: number, max: number, unit: string, fallback: number) => {
  const msg = `expected a whole number from ${min} to ${max} (${unit})`;
  return z.preprocess(
    (v) => (typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v),
    z.number({ error: msg }).int({ error: msg }).min(min, { error: msg }).max(max, { error: msg }),
  ).default(fallback).describe(`${unit}, ${min} to ${max}; default ${fallback}`);
};

/** The only retention periods CloudWatch Logs accepts (PutRetentionPolicy's `retentionInDays`). */
export const logRetentionDaysAllowed = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const retentionDays = (() => {
  const msg = `expected one of CloudWatch Logs' retention periods in days: ${logRetentionDaysAllowed.join(', ')}`;
  return z.preprocess(
    (v) => (typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v),
    z.number({ error: msg }).refine((n) => (logRetentionDaysAllowed as readonly number[]).includes(n), { error: msg }),
  ).default(30).describe('Days CloudWatch Logs keeps the function\'s logs (/aws/lambda/<function>); one of AWS\'s allowed values; default 30');
})();

const srcFolder = z.string({ error: 'expected a folder path' }).min(1, { error: 'expected a folder path' });

export const httpFunctionInputs = z.strictObject({
  src: z.union([
    srcFolder,
    z.strictObject({ src: srcFolder, hook: z.string({ error: 'expected a shell command' }).optional(), dist: srcFolder.optional() }),
  ], { error: 'expected a folder path, or { src, hook, dist } to run a build first' })
    .optional()
    .describe('The code: a folder, or { src, hook, dist }. The CLI uploads it; the engine hands the package to the component.'),
  handler: z.string({ error: 'expected <file>.<export>, e.g. index.handler' })
    .max(128, { error: 'expected at most 128 characters' })
    .regex(/^[^\s]+\.[^\s./]+$/, { error: 'expected <file>.<export>, e.g. index.handler' })
    .refine((h) => !h.startsWith('/') && !h.split('/').includes('..'), {
      error: 'expected a file inside src: no ".." path segment and no leading "/" (e.g. index.handler or lib/app.handler)',
    })
    .default('index.handler')
    .describe('Module and export Lambda calls; default index.handler'),
  memory: wholeNumber(128, 10240, 'MB', 1024),
  timeout: wholeNumber(1, 900, 'seconds', 6),
  env: z.record(
    z.string().regex(envNamePattern, { error: 'must be letters, digits and _, start with a letter and be at least 2 characters long' })
      .refine((k) => !reservedEnvNames.has(k), { error: 'is reserved by Lambda; choose another name' }),
    z.union([z.string(), z.number(), z.boolean()], { error: 'expected a string (quote it in hangar.yml)' }).transform(String),
  ).default({})
    .refine((env) => Buffer.byteLength(JSON.stringify(env)) <= maxEnvBytes, { error: `expected at most ${maxEnvBytes} bytes of variables in total` })
    .describe('Environment variables for the function'),
  logRetentionDays: retentionDays,
});

export type HttpFunctionInputs = z.output<typeof httpFunctionInputs>;
