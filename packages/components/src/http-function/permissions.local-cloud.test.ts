/**
 * `permissions:` end to end against the local cloud: a function given readwrite on table A
 * writes A from its own code and is refused (AccessDeniedException) writing table B; narrowing
 * to read, then dropping the entry, changes only the role's inline policy.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SessionCredentials } from '@hangar/core';
import { createAccount, startLocalCloud, type LocalCloud } from '@hangar/local-cloud';
import { strToU8, zipSync } from 'fflate';
import { awsClientConfig } from '../sdk/aws-clients.js';
import { isAwsError } from '../sdk/aws-errors.js';
import type { ComponentContext } from '../sdk/component.js';
import { validateInputs } from '../sdk/validate.js';
import { createHttpFunction } from './component.js';

let cloud: LocalCloud;
let credentials: SessionCredentials;
let ddb: DynamoDBClient;
let iam: IAMClient;
const region = 'us-east-1';

/** `?table=<name>` puts an item into that table with the function's own credentials. */
const handler = `
const { DynamoDBClient, PutItemCommand } = require('@aws-sdk/client-dynamodb');
const { S3Client, GetObjectCommand, PutObjectCommand } = require('@aws-sdk/client-s3');
const client = new DynamoDBClient({});
const s3 = new S3Client({ forcePathStyle: true });
exports.handler = async (event) => {
  const { table, bucket, op } = event.queryStringParameters;
  try {
    if (bucket && op === 'get') await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'a.txt' }))).Body.transformToString();
    else if (bucket) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'b.txt', Body: 'b' }));
    else await client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'from-fn' } } }));
    return { statusCode: 200, body: JSON.stringify({ ok: true }) };
  } catch (e) {
    return { statusCode: 200, body: JSON.stringify({ ok: false, error: e.name }) };
  }
};
`;

const instance = { orgId: 'org_1', appId: 'app_1', app: 'todo', stage: 'dev', name: 'api', instanceId: 'inst_perm_1' };

function context(state: Record<string, unknown>): ComponentContext {
  return {
    credentials, region, endpoint: cloud.endpoint, instance, state,
    log: { info() {}, warn() {}, error() {} },
    source: { manifestId: 'perm-1', zip: async () => zipSync({ 'index.js': strToU8(handler) }) },
  };
}

async function table(name: string): Promise<string> {
  const out = await ddb.send(new CreateTableCommand({
    TableName: name, AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST',
  }));
  return out.TableDescription!.TableArn!;
}

before(async () => {
  cloud = await startLocalCloud({ port: 0, log: () => {} });
  const root = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId: '444444444444' });
  credentials = new SessionCredentials({ accessKeyId: root.accessKeyId, secretAccessKey: root.secretAccessKey });
  ddb = new DynamoDBClient(awsClientConfig({ credentials, region, endpoint: cloud.endpoint }));
  iam = new IAMClient(awsClientConfig({ credentials, region, endpoint: cloud.endpoint }));
});

after(async () => {
  ddb?.destroy();
  iam?.destroy();
  await cloud?.stop();
});

test('permissions: readwrite on table A lets the function write A; writing B is AccessDenied; read, none and write again change the inline policy', async () => {
  const a = await table('perm-a');
  await table('perm-b');
  const component = createHttpFunction({ maxWaitSeconds: 30 });
  const first = await component.deploy(validateInputs(component, { permissions: [{ ref: a, access: 'readwrite' }] }), context({}));
  const url = first.outputs.url as string;
  const put = async (t: string) => (await (await fetch(`${url}?table=${t}`)).json()) as { ok: boolean; error?: string };

  assert.deepEqual(await put('perm-a'), { ok: true });
  assert.ok((await ddb.send(new GetItemCommand({ TableName: 'perm-a', Key: { pk: { S: 'from-fn' } } }))).Item);
  assert.deepEqual(await put('perm-b'), { ok: false, error: 'AccessDeniedException' });

  const roleName = first.outputs.functionName as string;
  const doc = JSON.parse(decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: 'hangar-permissions' }))).PolicyDocument!)) as { Statement: { Action: string[]; Resource: string[] }[] };
  assert.deepEqual(doc.Statement.map((s) => s.Resource), [[a, `${a}/index/*`], [a]]);

  // read only: the write is refused now
  const read = await component.deploy(validateInputs(component, { permissions: [{ ref: a, access: 'read' }] }), context(first.state));
  assert.deepEqual(await put('perm-a'), { ok: false, error: 'AccessDeniedException' });

  // none: the inline policy is deleted
  const none = await component.deploy(validateInputs(component, {}), context(read.state));
  await assert.rejects(iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: 'hangar-permissions' })), (e) => isAwsError(e, 'NoSuchEntityException', 'NoSuchEntity'));
  const again = await component.deploy(validateInputs(component, { permissions: [{ ref: a, access: 'write' }] }), context(none.state));
  assert.deepEqual(await put('perm-a'), { ok: true });

  await component.remove(context(again.state));
});

test('permissions: read on a bucket lets the function get objects, not put them', async () => {
  const s3 = new S3Client({ ...awsClientConfig({ credentials, region, endpoint: cloud.endpoint }), forcePathStyle: true });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: 'perm-bucket' }));
    await s3.send(new PutObjectCommand({ Bucket: 'perm-bucket', Key: 'a.txt', Body: 'a' }));
    const component = createHttpFunction({ maxWaitSeconds: 30 });
    const ctx = (state: Record<string, unknown>): ComponentContext => ({ ...context(state), instance: { ...instance, name: 'reader', instanceId: 'inst_perm_2' } });
    const deployed = await component.deploy(validateInputs(component, { permissions: [{ ref: 'arn:aws:s3:::perm-bucket', access: 'read' }] }), ctx({}));
    const call = async (q: string) => (await (await fetch(`${deployed.outputs.url as string}?${q}`)).json()) as { ok: boolean; error?: string };
    assert.deepEqual(await call('bucket=perm-bucket&op=get'), { ok: true });
    assert.deepEqual(await call('bucket=perm-bucket&op=put'), { ok: false, error: 'AccessDenied' });
    await component.remove(ctx(deployed.state));
  } finally {
    s3.destroy();
  }
});
