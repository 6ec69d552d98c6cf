/**
 * `hangar invoke`: run the function once through the engine (which invokes it with a session
 * allowed nothing but lambda:InvokeFunction on it) and print its response and the log tail of
 * that invocation. Exit code 1 when the function errored.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { HangarError } from '@hangar/core';
import type { InvokeReply, invokeInstance } from '@hangar/core/api';
import type { CommandContext } from '../context.js';
import { createUi, printJson, reportError } from '../output.js';
import { loadProject } from '../project-file.js';
import { openSession } from '../session.js';
import { colorsFor, formatTailLine } from './function-render.js';
import { fetchInstance } from './instance.js';

export interface InvokeOptions {
  readonly stage?: string | undefined;
  readonly json?: boolean | undefined;
  /** A raw event payload (JSON text). */
  readonly data?: string | undefined;
  readonly dataFile?: string | undefined;
  /** An HTTP API request built by the engine. */
  readonly path?: string | undefined;
  readonly method?: string | undefined;
  readonly header?: readonly string[] | undefined;
  readonly body?: string | undefined;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
type Method = typeof METHODS[number];

export type InvokeBody =
  | { payload: unknown }
  | { http: { method: Method; path: string; headers?: Record<string, string>; body?: string } };

const invalid = (field: string, message: string, value?: string) =>
  new HangarError('VALIDATION_FAILED', `${field}: ${message}`, { details: { field, ...(value === undefined ? {} : { value: value.slice(0, 200) }) } });

function parseJson(field: string, text: string, example: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw invalid(field, `not valid JSON (${why}); got ${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)}. Quote it for the shell, e.g. ${example}.`, text);
  }
}

/** The request body for POST .../invoke from the flags; every flag checked here, each error naming it. */
export function invokeBody(o: InvokeOptions, cwd: string): InvokeBody {
  const raw = o.data !== undefined || o.dataFile !== undefined;
  const http = o.path !== undefined || o.method !== undefined || (o.header?.length ?? 0) > 0 || o.body !== undefined;
  if (o.data !== undefined && o.dataFile !== undefined) throw invalid('--data', 'give either --data or --data-file, not both.');
  if (raw && http) {
    throw invalid(o.data !== undefined ? '--data' : '--data-file', 'sends a raw event, which --path, --method, --header and --body (an HTTP request) cannot be combined with; use one or the other.');
  }
  if (o.data !== undefined) return { payload: parseJson('--data', o.data, `--data '{"name":"ada"}'`) };
  if (o.dataFile !== undefined) {
    const file = resolve(cwd, o.dataFile);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw invalid('--data-file', `cannot read ${file} (${(e as { code?: string }).code ?? String(e)}); give a file holding the event as JSON.`, o.dataFile);
    }
    return { payload: parseJson('--data-file', text, `a file holding {"name":"ada"}`) };
  }
  const method = (o.method ?? (o.body !== undefined ? 'POST' : 'GET')).toUpperCase();
  if (!(METHODS as readonly string[]).includes(method)) throw invalid('--method', `expected one of ${METHODS.join(', ')}, got ${JSON.stringify(o.method)}.`, o.method);
  const path = o.path ?? '/';
  if (!path.startsWith('/')) throw invalid('--path', `expected a path starting with "/", e.g. /users/1?x=2, got ${JSON.stringify(path)}.`, path);
  const headers: Record<string, string> = {};
  for (const h of o.header ?? []) {
    const i = h.indexOf(':');
    const name = i > 0 ? h.slice(0, i).trim() : '';
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw invalid('--header', `expected NAME:VALUE, e.g. --header 'content-type: application/json', got ${JSON.stringify(h)}.`, h);
    headers[name.toLowerCase()] = h.slice(i + 1).trim();
  }
  return { http: { method: method as Method, path, ...(o.header?.length ? { headers } : {}), ...(o.body !== undefined ? { body: o.body } : {}) } };
}

/** The payload pretty-printed when it is JSON (an HTTP response's JSON body too). */
export function formatPayload(payload: string): string {
  try {
    const v = JSON.parse(payload) as unknown;
    return JSON.stringify(v, null, 2);
  } catch {
    return payload;
  }
}

export async function invoke(ctx: CommandContext, options: InvokeOptions = {}): Promise<number> {
  const json = options.json === true;
  try {
    const body = invokeBody(options, ctx.cwd);
    const { project } = loadProject(ctx.cwd, ctx.env, options.stage);
    const session = await openSession(ctx, { projectOrg: project.org });
    const ins = await fetchInstance(session, project);
    const r: InvokeReply = await session.client.call<typeof invokeInstance>('POST', '/api/v1/orgs/:orgId/instances/:instanceId/invoke', {
      params: { orgId: session.orgId, instanceId: ins.id }, body,
    });
    const failed = r.functionError !== null;
    if (json) {
      printJson(ctx, r);
      return failed ? 1 : 0;
    }
    const c = colorsFor(ctx.stderr);
    const ui = createUi(ctx);
    const took = `${Math.round(r.durationMs)} ms, request ${r.requestId ?? 'unknown'}`;
    if (failed) ctx.stderr.write(`${c.red('✖')} ${project.app}/${project.stage}/${project.name} failed (${r.functionError}) in ${took}\n`);
    else ui.success(`Invoked ${project.app}/${project.stage}/${project.name} in ${took}`);
    ctx.stdout.write(`${formatPayload(r.payload)}\n`);
    if (r.logTail.trim() !== '') {
      ui.step('Log tail of this invocation');
      for (const l of r.logTail.replace(/\n$/, '').split('\n')) ctx.stderr.write(`${formatTailLine(l, r.requestId, c).replace(/^/gm, '  ')}\n`);
    }
    return failed ? 1 : 0;
  } catch (e) {
    return reportError(ctx, e, json);
  }
}
