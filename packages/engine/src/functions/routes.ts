import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HangarError } from '@hangar/core';
import { instanceHealth, instanceLogEvents, instanceLogs, invokeInstance, parseSince, type InvokeReply } from '@hangar/core/api';
import { requireRole } from '../http/guard.js';
import { registerRoute } from '../http/route.js';
import { sameOrg } from '../source/routes.js';
import type { InstanceView } from '../deployments/views.js';
import type { Clock, CredentialBroker, CredentialSession, Logger, OperationCredentialRequest, Role } from '../types.js';
import { invokeOnce, logsClient, readEvents } from './cloud.js';
import { httpApiEvent } from './http-event.js';
import { invokePolicy, logsPolicy } from './policy.js';
import { createRecogniser, summarise } from './recognise.js';
import type { OperationSessions } from './sessions.js';
import { streamFunctionLogs, type StreamOptions } from './stream.js';
import { functionTarget, type FunctionTarget } from './target.js';

export interface FunctionRoutesDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly broker: CredentialBroker;
  readonly sessions: OperationSessions;
  /** The instance as the deployments feature shows it (NOT_FOUND when it is not in the org). */
  readonly instance: (orgId: string, instanceId: string) => Promise<InstanceView>;
  readonly stream?: Omit<StreamOptions, 'clock' | 'logger'>;
}

/** An HTTP body up to the contract's 6 MiB, JSON-escaped: Lambda itself refuses a payload over 6 MB. */
const invokeBodyLimit = 13 * 1024 * 1024;

/** Health reads at most this many events (REPORT lines and errors among them). */
const healthEventLimit = 100_000;

export async function registerFunctionRoutes(app: FastifyInstance, deps: FunctionRoutesDeps): Promise<void> {
  const { clock, sessions } = deps;

  /** The caller's target function and a session for `purpose`, after the role and org checks. */
  async function open(request: FastifyRequest, orgId: string, instanceId: string, role: Role, purpose: 'logs' | 'invoke'): Promise<{ target: FunctionTarget; session: CredentialSession }> {
    const auth = requireRole(request, role);
    sameOrg(auth.orgId, orgId);
    const instance = await deps.instance(orgId, instanceId);
    let target: FunctionTarget;
    try {
      target = functionTarget(instance);
    } catch (e) {
      sessions.evictInstance(orgId, instanceId);
      throw e;
    }
    const provider = await deps.broker.resolve({ orgId, appId: instance.appId, stage: instance.stage, instanceId });
    const req: OperationCredentialRequest = {
      purpose, orgId, appId: instance.appId, stage: instance.stage, instanceId, actor: auth.actor, provider,
      policy: purpose === 'logs' ? logsPolicy(target) : invokePolicy(target),
    };
    return { target, session: await sessions.get(req) };
  }

  const startOf = (since: string): number => {
    const d = parseSince(since, clock.now());
    // The contract's schema already refused anything else; this is the same rule.
    if (!d) throw new HangarError('VALIDATION_FAILED', `query.since: expected an age like 30s, 10m, 2h or 7d, or an ISO-8601 time; got ${JSON.stringify(since)}`);
    return d.getTime();
  };

  registerRoute(app, instanceLogs, async ({ request, params: { orgId, instanceId }, query }) => {
    const startTime = startOf(query.since);
    const { target, session } = await open(request, orgId, instanceId, 'viewer', 'logs');
    const client = logsClient(session, target);
    try {
      const { events, truncated } = await readEvents(client, target, { startTime, filterPattern: query.filter, limit: query.limit });
      const recognise = createRecogniser();
      return { logGroup: target.logGroup, events: events.map((e) => recognise(e).event), truncated };
    } finally {
      client.destroy();
    }
  });

  registerRoute(app, instanceLogEvents, async ({ request, reply, params: { orgId, instanceId }, query }) => {
    const startTime = startOf(query.since);
    const { target, session } = await open(request, orgId, instanceId, 'viewer', 'logs');
    const client = logsClient(session, target);
    try {
      await streamFunctionLogs({ clock, logger: deps.logger, ...deps.stream }, request, reply, {
        target, client,
        async recheck() {
          const now = await deps.instance(orgId, instanceId);
          try { functionTarget(now); } catch (e) { sessions.evictInstance(orgId, instanceId); throw e; }
        },
      }, { startTime, filterPattern: query.filter });
    } catch (e) {
      if (!reply.sent && !reply.raw.headersSent) throw e;
      deps.logger.error('function log stream failed', { reqId: request.id, instanceId, err: e });
    } finally {
      client.destroy();
    }
  });

  registerRoute(app, instanceHealth, async ({ request, params: { orgId, instanceId }, query }) => {
    const to = clock.now();
    const from = new Date(startOf(query.since));
    const { target, session } = await open(request, orgId, instanceId, 'viewer', 'logs');
    const client = logsClient(session, target);
    try {
      const { events } = await readEvents(client, target, { startTime: from.getTime(), endTime: to.getTime(), limit: healthEventLimit, maxPages: 10 });
      return summarise(events.map(createRecogniser()), { from, to }, target.logGroup);
    } finally {
      client.destroy();
    }
  });

  registerRoute(app, invokeInstance, async ({ request, params: { orgId, instanceId }, body }): Promise<InvokeReply> => {
    const { target, session } = await open(request, orgId, instanceId, 'deployer', 'invoke');
    const payload = 'http' in body
      ? JSON.stringify(httpApiEvent(body.http, { now: clock.now(), accountId: target.accountId }))
      : JSON.stringify(body.payload ?? null);
    const started = performance.now();
    const out = await invokeOnce(session, target, payload);
    const wall = Math.round((performance.now() - started) * 100) / 100;
    // The invocation's own id and duration are in its REPORT line (the tail ends with it).
    const report = /REPORT RequestId: (\S+)\tDuration: ([\d.]+) ms/.exec(out.logTail);
    const start = /START RequestId: (\S+)/.exec(out.logTail);
    return {
      statusCode: out.statusCode,
      functionError: out.functionError,
      payload: out.payload,
      // As for log lines: the runtime's \r stand for newlines in a multi-line message.
      logTail: out.logTail.replace(/\r\n?/g, '\n'),
      requestId: report?.[1] ?? start?.[1] ?? out.requestId,
      durationMs: report ? Number(report[2]) : wall,
    };
  }, { bodyLimit: invokeBodyLimit });
}
