/** The AWS query protocol: form-encoded parameters in, XML out. */
import { XMLBuilder } from 'fast-xml-parser';
import { AwsError, type ServiceRequest, type ServiceResponse } from './contract.js';

export type QueryParams = ReadonlyMap<string, string>;

/** Parameters from the query string and, for POST, the form-encoded body (the body wins). */
export function queryParams(req: ServiceRequest): QueryParams {
  const out = new Map<string, string>(Object.entries(req.query));
  if (req.body.length > 0) {
    for (const [k, v] of new URLSearchParams(req.body.toString('utf8'))) out.set(k, v);
  }
  return out;
}

/** `Name.member.1`, `Name.member.2`, … as a list (the query protocol's list encoding). */
export function memberList(params: QueryParams, name: string): string[] {
  const out: string[] = [];
  for (let i = 1; params.has(`${name}.member.${i}`); i++) out.push(params.get(`${name}.member.${i}`)!);
  return out;
}

/** `Name.member.N.Field` structures as a list of records. */
export function memberStructs(params: QueryParams, name: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (let i = 1; ; i++) {
    const prefix = `${name}.member.${i}.`;
    const entry: Record<string, string> = {};
    for (const [k, v] of params) if (k.startsWith(prefix)) entry[k.slice(prefix.length)] = v;
    if (Object.keys(entry).length === 0) break;
    out.push(entry);
  }
  return out;
}

/** A validation failure worded the way AWS's query services word it. */
export function validationError(field: string, value: string | undefined, constraint: string): AwsError {
  const shown = value === undefined ? 'null' : `'${value}'`;
  return new AwsError('ValidationError', `1 validation error detected: Value ${shown} at '${field}' failed to satisfy constraint: ${constraint}`, 400);
}

export function required(params: QueryParams, name: string): string {
  const v = params.get(name);
  if (v === undefined || v === '') {
    throw validationError(name.charAt(0).toLowerCase() + name.slice(1), undefined, 'Member must not be null');
  }
  return v;
}

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false, format: false });

/** `<member>` list encoding; an empty list renders as an empty element. */
export function members<T>(list: readonly T[]): { member: T[] } | '' {
  return list.length > 0 ? { member: [...list] } : '';
}

function prune(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(prune);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = prune(v);
    return out;
  }
  return value;
}

/** `<ActionResponse xmlns=…><ActionResult>…</ActionResult><ResponseMetadata>…` */
export function queryResponse(action: string, xmlns: string, requestId: string, result?: Record<string, unknown>): ServiceResponse {
  const inner: Record<string, unknown> = { '@_xmlns': xmlns };
  if (result) inner[`${action}Result`] = prune(result);
  inner.ResponseMetadata = { RequestId: requestId };
  const body = builder.build({ [`${action}Response`]: inner }) as string;
  return { status: 200, headers: { 'content-type': 'text/xml' }, body };
}

export function invalidAction(action: string | undefined, version: string): AwsError {
  if (!action) return new AwsError('MissingAction', 'Missing Action', 400);
  return new AwsError('InvalidAction', `Could not find operation ${action} for version ${version}`, 400);
}
