import {
  DeleteRoleCommand, DeleteRolePolicyCommand, DetachRolePolicyCommand, ListAttachedRolePoliciesCommand, ListRolePoliciesCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { awsCall, isAwsError } from '../sdk/aws-errors.js';

const missing = ['NoSuchEntityException', 'NoSuchEntity'];

/**
 * Deletes a role this component owns. IAM refuses while policies remain (DeleteConflict), so
 * when that happens every attached and inline policy is removed first. A missing role is fine.
 */
export async function deleteRoleAndLeftovers(iam: IAMClient, roleName: string, signal?: AbortSignal): Promise<void> {
  const opts = signal ? { abortSignal: signal } : {};
  await awsCall('iam:DeleteRole', roleName, async () => {
    try {
      await iam.send(new DeleteRoleCommand({ RoleName: roleName }), opts);
      return;
    } catch (e) {
      if (isAwsError(e, ...missing)) return;
      if (!isAwsError(e, 'DeleteConflictException', 'DeleteConflict')) throw e;
    }
    try {
      const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }), opts);
      for (const p of attached.AttachedPolicies ?? []) {
        if (p.PolicyArn) await iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: p.PolicyArn }), opts);
      }
      const inline = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }), opts);
      for (const PolicyName of inline.PolicyNames ?? []) await iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName }), opts);
      await iam.send(new DeleteRoleCommand({ RoleName: roleName }), opts);
    } catch (e) {
      if (!isAwsError(e, ...missing)) throw e;
    }
  });
}
