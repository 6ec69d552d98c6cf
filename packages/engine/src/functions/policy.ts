/**
 * The session policies of function operations: exactly the actions an operation needs, on
 * exactly the function's resources. Pure.
 *
 * CloudWatch Logs authorises FilterLogEvents and DescribeLogStreams on the log group and
 * GetLogEvents on a log stream (`…:log-group:<name>:log-stream:<stream>`); the group's ARN and
 * the same ARN with `:*` cover both (as AWS's own read grants do).
 */
import type { SessionPolicyDocument } from '../types.js';
import type { FunctionTarget } from './target.js';

export const logsReadActions = ['logs:DescribeLogStreams', 'logs:FilterLogEvents', 'logs:GetLogEvents'] as const;

export function logsPolicy(t: Pick<FunctionTarget, 'logGroupArn'>): SessionPolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Sid: 'ReadFunctionLogs', Effect: 'Allow', Action: [...logsReadActions], Resource: [t.logGroupArn, `${t.logGroupArn}:*`] }],
  };
}

export function invokePolicy(t: Pick<FunctionTarget, 'functionArn'>): SessionPolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Sid: 'InvokeFunction', Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [t.functionArn] }],
  };
}
