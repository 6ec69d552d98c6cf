import { isHangarError } from '@hangar/core';
import { storeUnavailable } from '../store/errors.js';

export interface DeploymentFailure {
  readonly code: string;
  readonly message: string;
  readonly awsCode: string | undefined;
  readonly requestId: string | undefined;
}

interface AwsLike {
  name: string;
  message: string;
  $metadata?: { requestId?: string };
}

const accessDenied = new Set(['AccessDenied', 'AccessDeniedException']);

/**
 * What a failed run records: the Hangar code and message, and (when AWS refused something) AWS's
 * own error code and request id. A HangarError from a component carries them in `details`
 * (`awsCode`, `requestId`); a raw AWS SDK error that slipped through is recognised by `$metadata`.
 */
export function describeFailure(err: unknown): DeploymentFailure {
  // The engine's own database locked, full or gone mid-run: not the component's fault, and retryable.
  const store = isHangarError(err) ? undefined : storeUnavailable(err);
  if (store) return { code: store.code, message: store.message, awsCode: undefined, requestId: undefined };
  if (isHangarError(err)) {
    const d = err.details ?? {};
    return {
      code: err.code,
      message: err.message,
      awsCode: typeof d['awsCode'] === 'string' ? d['awsCode'] : undefined,
      requestId: typeof d['requestId'] === 'string' ? d['requestId'] : undefined,
    };
  }
  if (err instanceof Error && typeof (err as AwsLike).$metadata === 'object') {
    const e = err as AwsLike;
    const requestId = e.$metadata?.requestId;
    return {
      code: accessDenied.has(e.name) ? 'COMPONENT_AWS_ACCESS_DENIED' : 'COMPONENT_AWS_ERROR',
      message: `AWS ${e.name}${requestId ? ` (request id ${requestId})` : ''}: ${e.message}`,
      awsCode: e.name,
      requestId,
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'DEPLOY_COMPONENT_FAILED', message: `The component failed: ${message}`, awsCode: undefined, requestId: undefined };
}
