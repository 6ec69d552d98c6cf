/**
 * The Lambda proxy payloads of HTTP APIs: the event a request becomes (format 2.0, and 1.0) and
 * how the function's result becomes the HTTP response. Pure.
 */

export interface IncomingRequest {
  readonly method: string;
  /** Path as received, including a stage prefix, without the query string. */
  readonly rawPath: string;
  readonly rawQueryString: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  readonly sourceIp: string;
}

export interface EventContext {
  readonly accountId: string;
  readonly apiId: string;
  readonly domainName: string;
  readonly stage: string;
  readonly routeKey: string;
  /** Path used for routing (stage prefix removed). */
  readonly resourcePath: string;
  readonly requestId: string;
  readonly now: Date;
  readonly pathParameters: Record<string, string>;
  readonly stageVariables: Record<string, string>;
}

const TEXT_TYPES = /^(text\/|application\/(json|javascript|xml|ld\+json|graphql)|[^;]*\+(json|xml)(;|$))/i;

/** HTTP APIs pass text bodies through and base64-encode anything else (form posts included). */
export function encodeBody(body: Buffer, contentType: string | undefined): { body?: string; isBase64Encoded: boolean } {
  if (body.length === 0) return { isBase64Encoded: false };
  if (contentType && TEXT_TYPES.test(contentType.trim())) return { body: body.toString('utf8'), isBase64Encoded: false };
  return { body: body.toString('base64'), isBase64Encoded: true };
}

/** `12/Mar/2020:19:03:58 +0000` */
export function clfTime(d: Date): string {
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${mon}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

function flatHeaders(h: IncomingRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
  }
  return out;
}

function queryParams(raw: string): Record<string, string> | undefined {
  if (!raw) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(raw)) out[k] = k in out ? `${out[k]},${v}` : v;
  return out;
}

export function eventV2(req: IncomingRequest, ctx: EventContext): Record<string, unknown> {
  const headers = flatHeaders(req.headers);
  const cookieHeader = headers.cookie;
  delete headers.cookie;
  headers['x-forwarded-for'] ??= req.sourceIp;
  headers['x-forwarded-proto'] ??= 'http';
  const query = queryParams(req.rawQueryString);
  return {
    version: '2.0',
    routeKey: ctx.routeKey,
    rawPath: req.rawPath,
    rawQueryString: req.rawQueryString,
    ...(cookieHeader ? { cookies: cookieHeader.split(/;\s*/).filter(Boolean) } : {}),
    headers,
    ...(query ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: ctx.accountId,
      apiId: ctx.apiId,
      domainName: ctx.domainName,
      domainPrefix: ctx.domainName.split('.')[0],
      http: { method: req.method, path: req.rawPath, protocol: 'HTTP/1.1', sourceIp: req.sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId: ctx.requestId,
      routeKey: ctx.routeKey,
      stage: ctx.stage,
      time: clfTime(ctx.now),
      timeEpoch: ctx.now.getTime(),
    },
    ...(Object.keys(ctx.pathParameters).length ? { pathParameters: ctx.pathParameters } : {}),
    ...(Object.keys(ctx.stageVariables).length ? { stageVariables: ctx.stageVariables } : {}),
    ...encodeBody(req.body, headers['content-type']),
  };
}

export function eventV1(req: IncomingRequest, ctx: EventContext): Record<string, unknown> {
  const multi: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) multi[k.toLowerCase()] = Array.isArray(v) ? v : [v];
  const headers = Object.fromEntries(Object.entries(multi).map(([k, v]) => [k, v.at(-1) as string]));
  const mq: Record<string, string[]> = {};
  for (const [k, v] of new URLSearchParams(req.rawQueryString)) (mq[k] ??= []).push(v);
  const routePath = ctx.routeKey === '$default' ? '$default' : ctx.routeKey.slice(ctx.routeKey.indexOf(' ') + 1);
  return {
    version: '1.0',
    resource: routePath,
    path: req.rawPath,
    httpMethod: req.method,
    headers,
    multiValueHeaders: multi,
    queryStringParameters: req.rawQueryString ? Object.fromEntries(Object.entries(mq).map(([k, v]) => [k, v.at(-1)])) : null,
    multiValueQueryStringParameters: req.rawQueryString ? mq : null,
    requestContext: {
      accountId: ctx.accountId, apiId: ctx.apiId, domainName: ctx.domainName, domainPrefix: ctx.domainName.split('.')[0],
      httpMethod: req.method, path: req.rawPath, protocol: 'HTTP/1.1', requestId: ctx.requestId,
      requestTime: clfTime(ctx.now), requestTimeEpoch: ctx.now.getTime(), resourcePath: routePath, stage: ctx.stage,
      identity: { sourceIp: req.sourceIp, userAgent: headers['user-agent'] ?? '' },
    },
    pathParameters: Object.keys(ctx.pathParameters).length ? ctx.pathParameters : null,
    stageVariables: Object.keys(ctx.stageVariables).length ? ctx.stageVariables : null,
    body: null,
    ...encodeBody(req.body, headers['content-type']),
  };
}

export interface MappedResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly cookies: readonly string[];
  readonly body: Buffer;
}

const stringMap = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k.toLowerCase()] = String(x);
  return out;
};

/** Maps the function's result; undefined when it is not a valid response (API Gateway answers 500). */
export function mapResult(payload: string, version: '1.0' | '2.0'): MappedResponse | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  const structured = value !== null && typeof value === 'object' && !Array.isArray(value) && 'statusCode' in value;
  if (!structured) {
    // Format 2.0 assumes 200 and JSON when the result has no statusCode; 1.0 requires one.
    if (version === '1.0') return undefined;
    const body = typeof value === 'string' ? value : JSON.stringify(value);
    return { status: 200, headers: { 'content-type': 'application/json' }, cookies: [], body: Buffer.from(body) };
  }
  const r = value as Record<string, unknown>;
  const status = Number(r.statusCode);
  if (!Number.isInteger(status) || status < 100 || status > 599) return undefined;
  const headers = stringMap(r.headers);
  const multi = r.multiValueHeaders;
  if (multi && typeof multi === 'object') {
    for (const [k, v] of Object.entries(multi)) if (Array.isArray(v)) headers[k.toLowerCase()] = v.map(String).join(', ');
  }
  const cookies = Array.isArray(r.cookies) ? r.cookies.map(String) : [];
  const rawBody = r.body === undefined || r.body === null ? '' : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
  const body = r.isBase64Encoded === true ? Buffer.from(rawBody, 'base64') : Buffer.from(rawBody);
  return { status, headers, cookies, body };
}
