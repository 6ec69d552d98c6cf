/**
 * Test fixture: a real local cloud with an "engine" account (an IAM user with an access key that
 * may call sts:AssumeRole) and a "workload" account where tests create roles. Not used by the engine.
 */
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand, UpdateAssumeRolePolicyCommand, CreateOpenIDConnectProviderCommand } from '@aws-sdk/client-iam';
import { advanceClock, createAccount, startLocalCloud, type LocalCloud } from '@hangar/local-cloud';
import type { Clock } from '../../types.js';

export const ENGINE_ACCOUNT = '111111111111';
export const WORKLOAD_ACCOUNT = '222222222222';
export const OTHER_ACCOUNT = '333333333333';

export interface CloudFixture {
  readonly cloud: LocalCloud;
  readonly endpoint: string;
  /** The engine user's long-lived key (what EngineConfig.aws.credentials holds). */
  readonly engineCredentials: { accessKeyId: string; secretAccessKey: string };
  readonly enginePrincipal: string;
  /** A clock for the engine that moves with the cloud's. */
  readonly clock: Clock & { advance(seconds: number): Promise<void> };
  createRole(name: string, trustPolicy: unknown, account?: string): Promise<string>;
  updateTrust(name: string, trustPolicy: unknown, account?: string): Promise<void>;
  createOidcProvider(url: string, clientIds: string[], account?: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startCloudFixture(): Promise<CloudFixture> {
  const cloud = await startLocalCloud({ port: 0, allowClockControl: true, log: () => {} });
  const clients: IAMClient[] = [];
  try {
    const iamFor = async (accountId: string) => {
      const root = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId });
      const c = new IAMClient({ region: 'us-east-1', endpoint: cloud.endpoint, credentials: { accessKeyId: root.accessKeyId, secretAccessKey: root.secretAccessKey } });
      clients.push(c);
      return c;
    };
    const engineIam = await iamFor(ENGINE_ACCOUNT);
    const accounts = new Map([[WORKLOAD_ACCOUNT, await iamFor(WORKLOAD_ACCOUNT)], [OTHER_ACCOUNT, await iamFor(OTHER_ACCOUNT)]]);
    await engineIam.send(new CreateUserCommand({ UserName: 'hangar-engine' }));
    await engineIam.send(new PutUserPolicyCommand({
      UserName: 'hangar-engine', PolicyName: 'assume-provider-roles',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'], Resource: '*' }] }),
    }));
    const key = (await engineIam.send(new CreateAccessKeyCommand({ UserName: 'hangar-engine' }))).AccessKey!;
    let offsetMs = 0;
    const iam = (account: string) => accounts.get(account)!;
    return {
      cloud,
      endpoint: cloud.endpoint,
      engineCredentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! },
      enginePrincipal: `arn:aws:iam::${ENGINE_ACCOUNT}:user/hangar-engine`,
      clock: {
        now: () => new Date(Date.now() + offsetMs),
        async advance(seconds) { await advanceClock(cloud.endpoint, seconds, { adminToken: cloud.adminToken }); offsetMs += seconds * 1000; },
      },
      async createRole(name, trustPolicy, account = WORKLOAD_ACCOUNT) {
        const r = await iam(account).send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trustPolicy), MaxSessionDuration: 3600 }));
        return r.Role!.Arn!;
      },
      async updateTrust(name, trustPolicy, account = WORKLOAD_ACCOUNT) {
        await iam(account).send(new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: JSON.stringify(trustPolicy) }));
      },
      async createOidcProvider(url, clientIds, account = WORKLOAD_ACCOUNT) {
        await iam(account).send(new CreateOpenIDConnectProviderCommand({ Url: url, ClientIDList: clientIds }));
      },
      async stop() {
        for (const c of clients) c.destroy();
        await cloud.stop();
      },
    };
  } catch (err) {
    for (const c of clients) c.destroy();
    await cloud.stop();
    throw err;
  }
}
