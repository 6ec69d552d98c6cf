import { GetFunctionConfigurationCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { HangarError } from '@hangar/core';
import { awsCall } from '../sdk/aws-errors.js';

export interface WaitDeps {
  readonly sleep: (ms: number) => Promise<void>;
  readonly maxWaitSeconds: number;
  readonly signal?: AbortSignal;
  readonly now?: () => number;
}

/** What a Lambda answer says of the function's state (CreateFunction, Update*, GetFunctionConfiguration all carry it). */
export interface FunctionStatus {
  readonly State?: string;
  readonly LastUpdateStatus?: string;
}

/**
 * True when the answer of the call that changed the function already says it is done: Active
 * (or no state) and its last update Successful, said explicitly. AWS answers an update with
 * `InProgress` (and a create with `Pending`), so there the wait polls; an endpoint that finishes
 * the change before answering saves the poll.
 */
export function settledBy(answer: FunctionStatus | undefined): boolean {
  return answer !== undefined && (answer.State === undefined || answer.State === 'Active') && answer.LastUpdateStatus === 'Successful';
}

/**
 * Waits until Lambda reports the function Active with its last update Successful (first look
 * at once, then every second). Unlike the SDK's waiters, an AWS error such as AccessDenied ends
 * the wait at once with that error, and a Failed update reports Lambda's reason.
 */
export async function waitForFunctionReady(lambda: LambdaClient, functionName: string, deps: WaitDeps): Promise<void> {
  const now = deps.now ?? Date.now;
  const deadline = now() + deps.maxWaitSeconds * 1000;
  const opts = deps.signal ? { abortSignal: deps.signal } : {};
  for (;;) {
    const c = await awsCall('lambda:GetFunctionConfiguration', functionName, () =>
      lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }), opts));
    if (c.State === 'Failed' || c.LastUpdateStatus === 'Failed') {
      const code = c.LastUpdateStatusReasonCode ?? c.StateReasonCode;
      const reason = c.LastUpdateStatusReason ?? c.StateReason;
      throw new HangarError('COMPONENT_AWS_ERROR', `Function ${functionName} failed to become ready: ${code ?? 'unknown reason'}${reason ? ` (${reason})` : ''}.`, {
        details: { awsCode: code, functionName },
      });
    }
    const ready = (c.State === undefined || c.State === 'Active') && (c.LastUpdateStatus === undefined || c.LastUpdateStatus === 'Successful');
    if (ready) return;
    if (now() >= deadline) {
      throw new HangarError('COMPONENT_AWS_ERROR', `Function ${functionName} was still ${c.State}/${c.LastUpdateStatus} after ${deps.maxWaitSeconds} s; deploy again to continue.`, {
        details: { functionName, state: c.State, lastUpdateStatus: c.LastUpdateStatus },
      });
    }
    deps.signal?.throwIfAborted();
    await deps.sleep(1000);
  }
}
