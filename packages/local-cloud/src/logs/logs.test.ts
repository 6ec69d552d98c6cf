/**
 * CloudWatch Logs through the AWS SDK: log-group lifecycle with tags and retention, retention
 * honoured (expired events neither accepted, returned nor kept across a restart), filter
 * patterns refused as AWS refuses them, and every action authorised against the ARN AWS uses.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, DeleteLogGroupCommand, DeleteRetentionPolicyCommand,
  DescribeLogGroupsCommand, DescribeLogStreamsCommand, FilterLogEventsCommand, GetLogEventsCommand, ListTagsForResourceCommand,
  ListTagsLogGroupCommand, PutLogEventsCommand, PutRetentionPolicyCommand, TagLogGroupCommand, TagResourceCommand, UntagResourceCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { advanceClock, createAccount, startLocalCloud, type LocalCloud } from '../index.js';
import { iamClient, rejectsWith, stsClient, trustAccount, type Creds } from '../test-support.js';

const ACCOUNT = '333333333333';
const DAY = 86_400_000;
let dir: string;
let cloud: LocalCloud;
let root: Creds;
/** How far the cloud's clock was moved, so the clients sign with its time. */
let offsetMs = 0;
const arnOf = (name: string) => `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${name}`;
const logsFor = (c: Creds) => new CloudWatchLogsClient({ endpoint: cloud.endpoint, region: 'us-east-1', credentials: c, maxAttempts: 1, systemClockOffset: offsetMs });
const now = () => Date.now() + offsetMs;

async function start() {
  cloud = await startLocalCloud({ port: 0, dataDir: dir, allowClockControl: true, log: () => undefined });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hangar-logs-'));
  await start();
  root = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId: ACCOUNT });
});

after(async () => {
  await cloud.stop();
  await rm(dir, { recursive: true, force: true });
});

test('a log group is created with tags, tagged and untagged by ARN, listed with its retention, and deleted', async () => {
  const logs = logsFor(root);
  const name = '/aws/lambda/tagged';
  await logs.send(new CreateLogGroupCommand({ logGroupName: name, tags: { 'hangar:app': 'shop', team: 'a' } }));
  await rejectsWith(logs.send(new CreateLogGroupCommand({ logGroupName: name })), 'ResourceAlreadyExistsException');
  assert.deepEqual((await logs.send(new ListTagsForResourceCommand({ resourceArn: arnOf(name) }))).tags, { 'hangar:app': 'shop', team: 'a' });
  await logs.send(new TagResourceCommand({ resourceArn: arnOf(name), tags: { team: 'b', 'hangar:stage': 'dev' } }));
  await logs.send(new UntagResourceCommand({ resourceArn: arnOf(name), tagKeys: ['hangar:app'] }));
  assert.deepEqual((await logs.send(new ListTagsForResourceCommand({ resourceArn: arnOf(name) }))).tags, { team: 'b', 'hangar:stage': 'dev' });
  await logs.send(new TagLogGroupCommand({ logGroupName: name, tags: { legacy: 'yes' } }));
  assert.equal((await logs.send(new ListTagsLogGroupCommand({ logGroupName: name }))).tags?.legacy, 'yes');
  await rejectsWith(logs.send(new TagResourceCommand({ resourceArn: arnOf(name), tags: { 'bad key!': 'x' } })), 'InvalidParameterException');
  await rejectsWith(logs.send(new TagResourceCommand({ resourceArn: arnOf('/aws/lambda/ghost'), tags: { a: 'b' } })), 'ResourceNotFoundException');
  await rejectsWith(logs.send(new ListTagsForResourceCommand({ resourceArn: 'not-an-arn' })), 'InvalidParameterException');

  const bad = await rejectsWith(logs.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: 10 })), 'InvalidParameterException');
  assert.equal(bad.message, "1 validation error detected: Value '10' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]");
  await logs.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: 14 }));
  const [group] = (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }))).logGroups ?? [];
  assert.equal(group?.retentionInDays, 14);
  assert.equal(group?.arn, `${arnOf(name)}:*`);
  assert.equal(group?.logGroupArn, arnOf(name));
  await logs.send(new DeleteRetentionPolicyCommand({ logGroupName: name }));
  assert.equal((await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }))).logGroups?.[0]?.retentionInDays, undefined);
  await rejectsWith(logs.send(new PutRetentionPolicyCommand({ logGroupName: '/aws/lambda/ghost', retentionInDays: 7 })), 'ResourceNotFoundException');

  await logs.send(new DeleteLogGroupCommand({ logGroupName: name }));
  const gone = await rejectsWith(logs.send(new DeleteLogGroupCommand({ logGroupName: name })), 'ResourceNotFoundException');
  assert.equal(gone.message, 'The specified log group does not exist.');
  assert.deepEqual((await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }))).logGroups, []);
  logs.destroy();
});

test('retention is honoured: expired events are refused, stop being returned, and are gone after a restart', async () => {
  const logs = logsFor(root);
  const name = '/aws/lambda/retained';
  await logs.send(new CreateLogGroupCommand({ logGroupName: name }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: name, logStreamName: 's' }));
  await logs.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: 3 }));
  const t = now();
  const put = await logs.send(new PutLogEventsCommand({
    logGroupName: name, logStreamName: 's',
    logEvents: [{ timestamp: t - 4 * DAY, message: 'too old' }, { timestamp: t - 2 * DAY, message: 'old marker' }, { timestamp: t - 1000, message: 'new marker' }],
  }));
  assert.deepEqual(put.rejectedLogEventsInfo, { expiredLogEventEndIndex: 0 });
  const messages = async () => (await logs.send(new FilterLogEventsCommand({ logGroupName: name, filterPattern: 'marker' }))).events?.map((e) => e.message);
  assert.deepEqual(await messages(), ['old marker', 'new marker']);

  await advanceClock(cloud.endpoint, 1.5 * DAY / 1000, { adminToken: cloud.adminToken });
  offsetMs += 1.5 * DAY;
  logs.destroy();
  const later = logsFor(root);
  const filtered = (await later.send(new FilterLogEventsCommand({ logGroupName: name }))).events?.map((e) => e.message);
  assert.deepEqual(filtered, ['new marker'], 'the event now older than 3 days is not returned');
  assert.deepEqual((await later.send(new GetLogEventsCommand({ logGroupName: name, logStreamName: 's', startFromHead: true }))).events?.map((e) => e.message), ['new marker']);
  later.destroy();

  await cloud.stop();
  await start();
  const journal = await readFile(join(dir, 'logs.ndjson'), 'utf8');
  assert.ok(journal.includes('new marker') && !journal.includes('old marker'), 'the compacted journal keeps only retained events');
  const again = logsFor(root);
  assert.deepEqual((await again.send(new GetLogEventsCommand({ logGroupName: name, logStreamName: 's', startFromHead: true }))).events?.map((e) => e.message), ['new marker']);
  assert.equal((await again.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }))).logGroups?.[0]?.retentionInDays, 3, 'retention and tags persist');
  again.destroy();
});

test('FilterLogEvents: event ids unique across streams, pages that stay stable while events arrive', async () => {
  const logs = logsFor(root);
  const name = 'paged';
  await logs.send(new CreateLogGroupCommand({ logGroupName: name }));
  const t = now();
  for (const s of ['a', 'b']) {
    await logs.send(new CreateLogStreamCommand({ logGroupName: name, logStreamName: s }));
    await logs.send(new PutLogEventsCommand({ logGroupName: name, logStreamName: s, logEvents: [1, 2, 3].map((i) => ({ timestamp: t + i, message: `${s}${i}` })) }));
  }
  const first = await logs.send(new FilterLogEventsCommand({ logGroupName: name, limit: 4 }));
  // Oldest first; events of one millisecond in a fixed (stream) order.
  assert.deepEqual(first.events?.map((e) => e.message).sort(), ['a1', 'a2', 'b1', 'b2']);
  assert.deepEqual(first.events?.map((e) => e.timestamp), [t + 1, t + 1, t + 2, t + 2]);
  assert.ok(first.nextToken);
  // An event arriving between pages, older than the page boundary, does not shift the next page.
  await logs.send(new PutLogEventsCommand({ logGroupName: name, logStreamName: 'b', logEvents: [{ timestamp: t, message: 'b0' }] }));
  const second = await logs.send(new FilterLogEventsCommand({ logGroupName: name, limit: 4, nextToken: first.nextToken }));
  assert.deepEqual(second.events?.map((e) => e.message).sort(), ['a3', 'b3']);
  const again = await logs.send(new FilterLogEventsCommand({ logGroupName: name }));
  assert.deepEqual(again.events?.filter((e) => e.message !== 'b0').map((e) => e.eventId), [...first.events!, ...second.events!].map((e) => e.eventId),
    'event ids do not change when an older event arrives');
  assert.equal(second.nextToken, undefined);
  const ids = [...first.events!, ...second.events!].map((e) => e.eventId);
  assert.equal(new Set(ids).size, ids.length, 'event ids are unique');
  assert.ok(ids.every((id) => /^\d{56}$/.test(id!)));
  await rejectsWith(logs.send(new FilterLogEventsCommand({ logGroupName: name, nextToken: 'bm90LWpzb24' })), 'InvalidParameterException');
  logs.destroy();
});

test('an invalid filter pattern is InvalidParameterException, as on AWS', async () => {
  const logs = logsFor(root);
  await logs.send(new CreateLogGroupCommand({ logGroupName: 'patterns' }));
  const e = await rejectsWith(logs.send(new FilterLogEventsCommand({ logGroupName: 'patterns', filterPattern: '{ $.level = "x"' })), 'InvalidParameterException');
  assert.equal(e.message, "If a filter pattern starts with '{' it must end with '}'");
  await rejectsWith(logs.send(new FilterLogEventsCommand({ logGroupName: 'patterns', filterPattern: '""' })), 'InvalidParameterException');
  logs.destroy();
});

test('a session policy limited to one log group allows reading it and nothing else', async () => {
  const iam = iamClient(cloud.endpoint, root, { systemClockOffset: offsetMs });
  await iam.send(new CreateRoleCommand({ RoleName: 'reader', AssumeRolePolicyDocument: trustAccount(ACCOUNT) }));
  await iam.send(new PutRolePolicyCommand({ RoleName: 'reader', PolicyName: 'all', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'logs:*', Resource: '*' }] }) }));
  iam.destroy();
  const admin = logsFor(root);
  for (const g of ['/aws/lambda/mine', '/aws/lambda/other']) {
    await admin.send(new CreateLogGroupCommand({ logGroupName: g }));
    await admin.send(new CreateLogStreamCommand({ logGroupName: g, logStreamName: 's' }));
    await admin.send(new PutLogEventsCommand({ logGroupName: g, logStreamName: 's', logEvents: [{ timestamp: now(), message: `hello ${g}` }] }));
  }
  admin.destroy();
  // The session policy the engine uses for `hangar logs`: only the read actions, on one group's ARN.
  const Policy = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['logs:FilterLogEvents', 'logs:GetLogEvents', 'logs:DescribeLogStreams'], Resource: `${arnOf('/aws/lambda/mine')}:*` }],
  });
  const sts = stsClient(cloud.endpoint, root, { systemClockOffset: offsetMs });
  const out = (await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/reader`, RoleSessionName: 'logs', Policy }))).Credentials!;
  sts.destroy();
  const reader = logsFor({ accessKeyId: out.AccessKeyId!, secretAccessKey: out.SecretAccessKey!, sessionToken: out.SessionToken! });
  try {
    assert.equal((await reader.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/mine' }))).events?.[0]?.message, 'hello /aws/lambda/mine');
    assert.equal((await reader.send(new GetLogEventsCommand({ logGroupName: '/aws/lambda/mine', logStreamName: 's' }))).events?.length, 1);
    assert.equal((await reader.send(new DescribeLogStreamsCommand({ logGroupName: '/aws/lambda/mine' }))).logStreams?.length, 1);
    const denied = await rejectsWith(reader.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/other' })), 'AccessDeniedException', 400);
    assert.match(denied.message, new RegExp(`not authorized to perform: logs:FilterLogEvents on resource: ${arnOf('/aws/lambda/other')}:log-stream:`));
    await rejectsWith(reader.send(new GetLogEventsCommand({ logGroupName: '/aws/lambda/other', logStreamName: 's' })), 'AccessDeniedException');
    await rejectsWith(reader.send(new DescribeLogStreamsCommand({ logGroupName: '/aws/lambda/other' })), 'AccessDeniedException');
    await rejectsWith(reader.send(new DescribeLogGroupsCommand({})), 'AccessDeniedException');
    await rejectsWith(reader.send(new DeleteLogGroupCommand({ logGroupName: '/aws/lambda/mine' })), 'AccessDeniedException');
    await rejectsWith(reader.send(new PutRetentionPolicyCommand({ logGroupName: '/aws/lambda/mine', retentionInDays: 1 })), 'AccessDeniedException');
    await rejectsWith(reader.send(new ListTagsForResourceCommand({ resourceArn: arnOf('/aws/lambda/mine') })), 'AccessDeniedException');
  } finally {
    reader.destroy();
  }

  // Tagging at creation needs logs:TagResource too, with AWS's own message.
  const noTag = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'logs:CreateLogGroup', Resource: '*' }] });
  const sts2 = stsClient(cloud.endpoint, root, { systemClockOffset: offsetMs });
  const c2 = (await sts2.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/reader`, RoleSessionName: 'creator', Policy: noTag }))).Credentials!;
  sts2.destroy();
  const creator = logsFor({ accessKeyId: c2.AccessKeyId!, secretAccessKey: c2.SecretAccessKey!, sessionToken: c2.SessionToken! });
  try {
    const e = await rejectsWith(creator.send(new CreateLogGroupCommand({ logGroupName: 'tagged-denied', tags: { a: 'b' } })), 'AccessDeniedException');
    assert.equal(e.message, `User with accountId: ${ACCOUNT} is not authorized to perform CreateLogGroup with Tags. An additional permission "logs:TagResource" is required.`);
    await creator.send(new CreateLogGroupCommand({ logGroupName: 'untagged-ok' }));
  } finally {
    creator.destroy();
  }
});
