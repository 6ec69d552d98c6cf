/**
 * The event an HTTP API (payload format 2.0) would hand the function for a request, so
 * `hangar invoke --path /x --method GET` exercises the same code path as a real request. Pure.
 */
import { randomUUID } from 'node:crypto';

export interface HttpInvokeRequest {
  readonly method: string;
  /** Path, optionally with a query string: `/items?limit=2`. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly body?: string | undefined;
}

const textTypes = /^(text\/|application\/(json|javascript|xml|ld\+json|graphql|x-www-form-urlencoded)|[^;]*\+(json|xml)(;|$))/i;

function clfTime(d: Date): string {
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${mon}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

export function httpApiEvent(req: HttpInvokeRequest, ctx: { now: Date; accountId: string; requestId?: string }): Record<string, unknown> {
  const q = req.path.indexOf('?');
  const rawPath = q < 0 ? req.path : req.path.slice(0, q);
  const rawQueryString = q < 0 ? '' : req.path.slice(q + 1);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
  const cookie = headers.cookie;
  delete headers.cookie;
  headers['x-forwarded-proto'] ??= 'https';
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(rawQueryString)) query[k] = k in query ? `${query[k]},${v}` : v;
  const body = req.body ?? '';
  const text = body.length === 0 || !headers['content-type'] || textTypes.test(headers['content-type']);
  const domainName = 'invoke.hangar.local';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    ...(cookie ? { cookies: cookie.split(/;\s*/).filter(Boolean) } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: ctx.accountId,
      apiId: 'hangar-invoke',
      domainName,
      domainPrefix: 'invoke',
      http: { method: req.method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: headers['user-agent'] ?? 'hangar-invoke' },
      requestId: ctx.requestId ?? randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: clfTime(ctx.now),
      timeEpoch: ctx.now.getTime(),
    },
    ...(body.length ? { body: text ? body : Buffer.from(body).toString('base64') } : {}),
    isBase64Encoded: !text,
  };
}
