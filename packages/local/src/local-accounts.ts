/**
 * What a new user does in AWS before Hangar can deploy, done against the local cloud: an
 * "engine" account holding the engine's own IAM user, and a "workload" account where the
 * deployer role lives. Only the local cloud's admin route is Hangar-specific; everything else
 * goes through the IAM API exactly as it would in a real account.
 */
import { createAccount } from '@hangar/local-cloud';
import { IAMClient, CreateUserCommand, CreateAccessKeyCommand, PutUserPolicyCommand, CreateRoleCommand, AttachRolePolicyCommand, GetRoleCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';

export interface AccessKey { readonly accessKeyId: string; readonly secretAccessKey: string }

export interface LocalAccounts {
  readonly engineAccountId: string;
  readonly workloadAccountId: string;
  /** The engine's own identity: an IAM user in the engine account allowed to assume roles. */
  readonly engineUser: AccessKey & { readonly arn: string };
  /** Root keys of the workload account: what a person uses to create the deployer role. */
  readonly workloadRoot: AccessKey;
  /** Root keys of the engine account: what the operator uses to grant the engine more (a blob bucket). */
  readonly engineRoot: AccessKey;
}


export function iamClient(endpoint: string, region: string, key: AccessKey): IAMClient {
  return new IAMClient({ endpoint, region, credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey } });
}

export async function createLocalAccounts(endpoint: string, adminToken: string, region: string, ids = { engine: '100000000001', workload: '200000000002' }): Promise<LocalAccounts> {
  const engineRoot = await createAccount(endpoint, { adminToken, accountId: ids.engine });
  const workloadRoot = await createAccount(endpoint, { adminToken, accountId: ids.workload });
  const iam = iamClient(endpoint, region, engineRoot);
  try {
    const user = await iam.send(new CreateUserCommand({ UserName: 'hangar-engine' }));
    await iam.send(new PutUserPolicyCommand({
      UserName: 'hangar-engine',
      PolicyName: 'assume-deployer-roles',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'], Resource: '*' }],
      }),
    }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'hangar-engine' }));
    const k = key.AccessKey!;
    return {
      engineAccountId: ids.engine,
      workloadAccountId: ids.workload,
      engineUser: { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey!, arn: user.User!.Arn! },
      workloadRoot,
      engineRoot,
    };
  } finally {
    iam.destroy();
  }
}

/** Create (or update) the deployer role from the provider's own trust policy, with admin rights. */
export async function ensureDeployerRole(iam: IAMClient, roleName: string, trustPolicy: string): Promise<string> {
  try {
    const existing = await iam.send(new GetRoleCommand({ RoleName: roleName }));
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: trustPolicy }));
    return existing.Role!.Arn!;
  } catch (e) {
    if ((e as { name?: string }).name !== 'NoSuchEntityException' && (e as { name?: string }).name !== 'NoSuchEntity') throw e;
  }
  const created = await iam.send(new CreateRoleCommand({
    RoleName: roleName,
    AssumeRolePolicyDocument: trustPolicy,
    Description: 'Assumed by the Hangar engine to deploy; trust requires the provider external ID',
    MaxSessionDuration: 3600,
  }));
  await iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }));
  return created.Role!.Arn!;
}
