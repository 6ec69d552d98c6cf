import { z } from 'zod';

/** The function settings the component manages; equal configs mean no configuration update. */
export const functionConfigSchema = z.object({
  runtime: z.string(),
  handler: z.string(),
  memory: z.number(),
  timeout: z.number(),
  env: z.record(z.string(), z.string()),
});
export type FunctionConfig = z.output<typeof functionConfigSchema>;

/**
 * What the component remembers between deploys (the engine stores it as JSON). Each part is
 * written as soon as the resource exists, so a half-finished deploy leaves an accurate record.
 */
export const httpFunctionStateSchema = z.object({
  role: z.object({
    name: z.string(),
    arn: z.string(),
    /** Managed policy ARNs attached by this component. */
    policies: z.array(z.string()),
  }).optional(),
  function: z.object({
    name: z.string(),
    arn: z.string(),
    /** `manifest:<id>` or `sha256:<hex>` of the code last uploaded; absent when unknown (adopted). */
    codeHash: z.string().optional(),
    /** Absent when unknown (adopted); a config update then makes it known. */
    config: functionConfigSchema.optional(),
  }).optional(),
  /** The function's log group `/aws/lambda/<function>`, created with a retention and tags. */
  logGroup: z.object({
    name: z.string(),
    /** Absent when the group keeps events forever (one adopted from Lambda's own creation). */
    retentionInDays: z.number().optional(),
    /** Absent when unknown. */
    tags: z.record(z.string(), z.string()).optional(),
  }).optional(),
  api: z.object({
    id: z.string(),
    endpoint: z.string(),
    integrationId: z.string().optional(),
    routeId: z.string().optional(),
    stageName: z.string().optional(),
    /** Statement id of the lambda:InvokeFunction permission for this API. */
    permissionSid: z.string().optional(),
  }).optional(),
});
export type HttpFunctionState = z.output<typeof httpFunctionStateSchema>;
