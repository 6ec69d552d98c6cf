import type { z } from 'zod';
import { HangarError } from '@hangar/core';

/**
 * Validate a request part at the edge. The message names each offending field by its dotted path,
 * what was expected and what was given: `body.roleArn: expected an IAM role ARN, got "abc"`.
 */
export function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'params'): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => {
    const path = [where, ...i.path.map(String)].join('.');
    return `${path}: ${i.message}`;
  });
  throw new HangarError('VALIDATION_FAILED', problems.join('; '), { details: { issues: problems } });
}
