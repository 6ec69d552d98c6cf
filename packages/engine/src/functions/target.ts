/**
 * Where an instance's function is: its name, ARN, region, account and log group, from the
 * outputs its last successful deployment stored. Pure, apart from the lookup passed in.
 */
import { HangarError } from '@hangar/core';
import type { InstanceView } from '../deployments/views.js';

export interface FunctionTarget {
  readonly instance: InstanceView;
  readonly functionName: string;
  readonly functionArn: string;
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  /** `/aws/lambda/<function>` (where Lambda writes by default), or the `logGroup` output of a component that names its own. */
  readonly logGroup: string;
  /** `arn:<partition>:logs:<region>:<account>:log-group:<name>` (without `:*`). */
  readonly logGroupArn: string;
}

const functionArnPattern = /^arn:(aws[a-zA-Z-]*):lambda:([a-z0-9-]+):(\d{12}):function:([a-zA-Z0-9-_]{1,64})$/;

const label = (i: InstanceView) => `${i.app}/${i.stage}/${i.name}`;

/**
 * The function of a deployed instance, or FUNCTION_NOT_DEPLOYED (never deployed, removed) /
 * FUNCTION_UNSUPPORTED (a component without a function).
 */
export function functionTarget(instance: InstanceView): FunctionTarget {
  const deployHint = `Deploy it first: \`hangar deploy\` in the project of ${label(instance)}.`;
  if (instance.status === 'removed') {
    throw new HangarError('FUNCTION_NOT_DEPLOYED', `Instance ${label(instance)} was removed, so it has no function to read logs from or invoke. ${deployHint}`,
      { details: { instanceId: instance.id, status: instance.status } });
  }
  const { functionArn, functionName } = instance.outputs;
  if (typeof functionArn !== 'string' || typeof functionName !== 'string') {
    if (instance.status === 'deployed') {
      throw new HangarError('FUNCTION_UNSUPPORTED', `Instance ${label(instance)} is a ${instance.component}, which has no function: it has no runtime logs and cannot be invoked.`,
        { details: { instanceId: instance.id, component: instance.component } });
    }
    throw new HangarError('FUNCTION_NOT_DEPLOYED', `Instance ${label(instance)} has not been deployed successfully yet (status ${instance.status}), so it has no function. ${deployHint}`,
      { details: { instanceId: instance.id, status: instance.status } });
  }
  const m = functionArnPattern.exec(functionArn);
  if (!m || m[4] !== functionName) {
    throw new HangarError('INTERNAL', `The stored outputs of instance ${label(instance)} name a function ARN that is not one: ${JSON.stringify(functionArn)}.`);
  }
  const [, partition, region, accountId] = m as unknown as [string, string, string, string];
  // A component that manages its log group may name it in its outputs; Lambda's default otherwise.
  const named = instance.outputs.logGroup;
  const logGroup = typeof named === 'string' && /^[.\-_/#A-Za-z0-9]{1,512}$/.test(named) ? named : `/aws/lambda/${functionName}`;
  return { instance, functionName, functionArn, partition, region, accountId, logGroup, logGroupArn: `arn:${partition}:logs:${region}:${accountId}:log-group:${logGroup}` };
}
