/**
 * The AWS calls behind function operations (CloudWatch Logs FilterLogEvents, Lambda Invoke),
 * made with an operation session's credentials and the engine's configured endpoint, and their
 * errors turned into the FUNCTION_* codes (AWS code and request id kept, never headers).
 */
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { HangarError } from '@hangar/core';
import type { CredentialSession } from '../types.js';
import { awsErrorFacts, isAccessDenied } from '../providers/sts.js';
import type { RawLogEvent } from './recognise.js';
import type { FunctionTarget } from './target.js';

function clientConfig(session: CredentialSession, region: string) {
  return {
    region,
    ...(session.endpoint ? { endpoint: session.endpoint } : {}),
    credentials: async () => (await session.current()).toProvider()(),
    maxAttempts: 2,
    // AWS_ENDPOINT_URL* or a config file must never send the session's token elsewhere.
    ignoreConfiguredEndpointUrls: true,
  };
}

export function logsClient(session: CredentialSession, t: FunctionTarget): CloudWatchLogsClient {
  return new CloudWatchLogsClient(clientConfig(session, t.region));
}

const label = (t: FunctionTarget) => `${t.instance.app}/${t.instance.stage}/${t.instance.name}`;

/** An AWS error from a function operation, as a FUNCTION_* HangarError. */
export function functionAwsError(err: unknown, t: FunctionTarget, action: string, resource: string): HangarError {
  if (err instanceof HangarError) return err;
  const f = awsErrorFacts(err);
  const rid = f.requestId ? `, request id ${f.requestId}` : '';
  const details = { awsCode: f.awsCode, requestId: f.requestId, action, resource };
  if (isAccessDenied(err)) {
    return new HangarError('FUNCTION_AWS_ACCESS_DENIED',
      `AWS refused ${action} on ${resource} for instance ${label(t)} (${f.awsCode}${rid}). The provider's role must allow ${action} on that resource; add it to the role's permissions policy, then try again.`,
      { details });
  }
  return new HangarError('FUNCTION_AWS_ERROR', `AWS answered ${action} on ${resource} with ${f.awsCode}${f.message ? ` (${f.message})` : ''}${rid}.`, { details });
}

export interface FilterPage { readonly events: RawLogEvent[]; readonly nextToken: string | undefined }

/**
 * One FilterLogEvents page. A log group that does not exist yet (a function never invoked) is an
 * empty page; a filter pattern the cloud refuses is FUNCTION_LOGS_FILTER_INVALID.
 */
export async function filterPage(
  client: CloudWatchLogsClient, t: FunctionTarget,
  q: { startTime: number; endTime?: number; filterPattern?: string | undefined; limit: number; nextToken?: string | undefined },
  signal?: AbortSignal,
): Promise<FilterPage> {
  try {
    const out = await client.send(new FilterLogEventsCommand({
      logGroupName: t.logGroup, startTime: q.startTime, limit: q.limit,
      ...(q.endTime !== undefined ? { endTime: q.endTime } : {}),
      ...(q.filterPattern ? { filterPattern: q.filterPattern } : {}),
      ...(q.nextToken ? { nextToken: q.nextToken } : {}),
    }), signal ? { abortSignal: signal } : {});
    const events = (out.events ?? []).flatMap((e) =>
      e.eventId && e.timestamp !== undefined && e.message !== undefined
        ? [{ eventId: e.eventId, timestamp: e.timestamp, logStreamName: e.logStreamName ?? '', message: e.message }]
        : []);
    return { events, nextToken: out.nextToken };
  } catch (err) {
    const code = awsErrorFacts(err).awsCode;
    if (code === 'ResourceNotFoundException') return { events: [], nextToken: undefined };
    if (code === 'InvalidParameterException' && q.filterPattern) {
      const f = awsErrorFacts(err);
      throw new HangarError('FUNCTION_LOGS_FILTER_INVALID',
        `CloudWatch Logs refused the filter pattern ${JSON.stringify(q.filterPattern)}: ${f.message || f.awsCode}. ` +
        'Use a term (ERROR), a quoted phrase ("Task timed out"), alternatives (?ERROR ?WARN) or exclusions (-DEBUG).',
        { details: { awsCode: f.awsCode, requestId: f.requestId, filter: q.filterPattern } });
    }
    throw functionAwsError(err, t, 'logs:FilterLogEvents', t.logGroupArn);
  }
}

/**
 * Every event since `startTime` matching the pattern, keeping the newest `limit` (oldest first);
 * `truncated` when older ones were left out or more pages remained than are read (`maxPages`).
 */
export async function readEvents(
  client: CloudWatchLogsClient, t: FunctionTarget,
  q: { startTime: number; endTime?: number; filterPattern?: string | undefined; limit: number; maxPages?: number },
): Promise<{ events: RawLogEvent[]; truncated: boolean }> {
  const maxPages = q.maxPages ?? 20;
  let events: RawLogEvent[] = [];
  let truncated = false;
  let nextToken: string | undefined;
  let pages = 0;
  do {
    const page = await filterPage(client, t, { ...q, limit: 10_000, nextToken });
    events.push(...page.events);
    if (events.length > q.limit) {
      events = events.slice(events.length - q.limit);
      truncated = true;
    }
    nextToken = page.nextToken;
    pages += 1;
  } while (nextToken && pages < maxPages);
  if (nextToken) truncated = true;
  return { events, truncated };
}

export interface Invocation {
  readonly statusCode: number;
  readonly functionError: string | null;
  readonly payload: string;
  readonly logTail: string;
  readonly requestId: string | null;
}

/** Invoke once (RequestResponse) with the log tail. A function gone from AWS is FUNCTION_NOT_DEPLOYED. */
export async function invokeOnce(session: CredentialSession, t: FunctionTarget, payload: string): Promise<Invocation> {
  const lambda = new LambdaClient({ ...clientConfig(session, t.region), maxAttempts: 1 });
  try {
    const out = await lambda.send(new InvokeCommand({ FunctionName: t.functionArn, InvocationType: 'RequestResponse', LogType: 'Tail', Payload: Buffer.from(payload) }));
    return {
      statusCode: out.StatusCode ?? 200,
      functionError: out.FunctionError ?? null,
      payload: out.Payload ? Buffer.from(out.Payload).toString('utf8') : '',
      logTail: out.LogResult ? Buffer.from(out.LogResult, 'base64').toString('utf8') : '',
      requestId: out.$metadata.requestId ?? null,
    };
  } catch (err) {
    if (awsErrorFacts(err).awsCode === 'ResourceNotFoundException') {
      throw new HangarError('FUNCTION_NOT_DEPLOYED',
        `Function ${t.functionName} of instance ${label(t)} no longer exists in AWS (deleted outside Hangar?). Deploy the instance again (\`hangar deploy\`), then invoke it.`,
        { details: { functionArn: t.functionArn, ...awsErrorFacts(err) } });
    }
    throw functionAwsError(err, t, 'lambda:InvokeFunction', t.functionArn);
  } finally {
    lambda.destroy();
  }
}
