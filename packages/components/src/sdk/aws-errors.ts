import { HangarError } from '@hangar/core';

/** The fields of an AWS SDK v3 service exception this package relies on. */
interface AwsServiceError {
  readonly name: string;
  readonly message: string;
  readonly $metadata?: { readonly requestId?: string; readonly httpStatusCode?: number };
}

function isServiceError(e: unknown): e is AwsServiceError {
  return e instanceof Error && typeof (e as { $metadata?: unknown }).$metadata === 'object';
}

/** True when `e` is an AWS error whose name (its modeled type or AWS code) is one of `names`. */
export function isAwsError(e: unknown, ...names: string[]): boolean {
  return isServiceError(e) && names.includes(e.name);
}

const accessDenied = new Set(['AccessDenied', 'AccessDeniedException']);

/**
 * Turns whatever an AWS call threw into a HangarError that keeps AWS's code and request id
 * (never request headers or signatures). HangarErrors and aborts pass through unchanged.
 */
export function toComponentError(e: unknown, action: string, resource: string): unknown {
  if (e instanceof HangarError) return e;
  if (e instanceof Error && e.name === 'AbortError') return e;
  if (!isServiceError(e)) {
    return new HangarError('COMPONENT_AWS_ERROR', `${action} on ${resource} failed before AWS answered: ${e instanceof Error ? e.message : String(e)}`, {
      details: { action, resource },
      cause: e,
    });
  }
  const requestId = e.$metadata?.requestId;
  const details = { action, resource, awsCode: e.name, requestId, httpStatus: e.$metadata?.httpStatusCode };
  const where = `${action} on ${resource}`;
  const tail = `(AWS ${e.name}${requestId ? `, request id ${requestId}` : ''}): ${e.message}`;
  if (accessDenied.has(e.name)) {
    return new HangarError('COMPONENT_AWS_ACCESS_DENIED', `${where} was refused ${tail}. Allow the action AWS names in the provider role's permissions (and in any session policy).`, { details });
  }
  return new HangarError('COMPONENT_AWS_ERROR', `${where} failed ${tail}`, { details });
}

/** Runs one AWS call, translating its failure with `toComponentError`. */
export async function awsCall<T>(action: string, resource: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw toComponentError(e, action, resource);
  }
}
