/**
 * The one HTTP port: /_local/* admin routes, then unsigned data-plane routes (execute-api),
 * then AWS requests, whose service is named by their SigV4 credential scope.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AwsError, type DataPlaneRoute, type Principal, type Service, type ServiceResponse } from '../internal/contract.js';
import { newRequestId } from '../internal/ids.js';
import type { Identity } from '../iam/identity.js';
import { UNSIGNED_STS_ACTIONS } from '../sts/service.js';
import { authenticate } from './auth.js';
import { authError, guessProtocol, renderError, type Protocol } from './errors.js';
import { chunkSigning, parseAuth, parseRawQuery } from './sigv4.js';

export interface HandlerDeps {
  readonly services: ReadonlyMap<string, Service>;
  readonly dataPlane: readonly DataPlaneRoute[];
  readonly identity: Identity;
  readonly admin: (method: string, path: string, body: Buffer, authorization: string | undefined) => ServiceResponse;
  readonly maxBodyBytes: number;
  /** Host names (lower case, no port; IPv6 in brackets) answered besides the loopback names. */
  readonly allowedHosts: readonly string[];
  now(): Date;
  log(line: string): void;
}

const ADMIN_MAX_BODY = 1024 * 1024;

/** Reads the whole body, or stops at `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
      done = true;
    });
    req.on('error', (e) => {
      if (!done) reject(e);
      done = true;
    });
    // A client that hangs up mid-body ends neither with 'end' nor always with 'error'.
    req.on('close', () => {
      if (!done) reject(new Error('the client closed the connection before sending the whole body'));
      done = true;
    });
  });
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function send(res: ServerResponse, r: ServiceResponse, requestId: string, now: Date, close = false): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = v;
  headers['x-amzn-requestid'] ??= requestId;
  // The server clock, so SDK clients correct their skew after POST /_local/clock.
  headers.date = now.toUTCString();
  if (r.body !== undefined && typeof r.body !== 'string' && !Buffer.isBuffer(r.body)) {
    // A streamed body (S3 objects): the service set content-length.
    const stream = r.body as NodeJS.ReadableStream & { destroy?: () => void };
    res.writeHead(r.status, headers);
    if (res.req.method === 'HEAD') {
      stream.destroy?.();
      res.end();
      return;
    }
    stream.on('error', () => res.destroy());
    res.on('close', () => stream.destroy?.());
    stream.pipe(res);
    return;
  }
  const body = r.body === undefined ? Buffer.alloc(0) : typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
  headers['content-length'] ??= String(body.length);
  if (close) headers.connection = 'close';
  res.writeHead(r.status, headers);
  res.end(body);
}

/** The host name of a Host header, lower case, without port or trailing dot (`[::1]` keeps its brackets). */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  const name = h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1) : h.replace(/:\d*$/, '');
  return name.replace(/\.$/, '');
}

/**
 * Loopback names and the configured ones. Anything else is refused on every route: a web page
 * whose DNS name was rebound to 127.0.0.1 sends its own name as Host, and must not reach the
 * cloud (admin routes, data plane or AWS APIs) through the visitor's browser.
 */
export function isAllowedHost(header: string | undefined, allowed: readonly string[]): boolean {
  if (!header) return false;
  const name = hostName(header);
  if (name === 'localhost' || name === '127.0.0.1' || name === '[::1]' || name.endsWith('.localhost')) return true;
  return allowed.includes(name);
}

function unsignedStsAction(body: Buffer, query: Record<string, string | string[]>): boolean {
  const fromQuery = query.Action;
  const action = typeof fromQuery === 'string' ? fromQuery : new URLSearchParams(body.toString('utf8')).get('Action');
  return action !== null && UNSIGNED_STS_ACTIONS.has(action);
}

function lastValues(query: Record<string, string | string[]>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) flat[k] = Array.isArray(v) ? v[v.length - 1]! : v;
  return flat;
}

export function createHandler(deps: HandlerDeps) {
  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const url = req.url ?? '/';
    const qi = url.indexOf('?');
    const rawPath = qi < 0 ? url : url.slice(0, qi);
    const rawQuery = qi < 0 ? '' : url.slice(qi + 1);
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      path = rawPath;
    }
    const method = req.method ?? 'GET';
    const headers = flatHeaders(req);

    if (!isAllowedHost(headers.host, deps.allowedHosts)) {
      const protocol = guessProtocol(headers['content-type']);
      const message = `The local cloud does not answer requests for host ${JSON.stringify(headers.host ?? '')}: only localhost, 127.0.0.1, [::1], *.localhost${deps.allowedHosts.length > 0 ? ` and ${deps.allowedHosts.join(', ')}` : ''} (start it with --allow-host <name> to add one).`;
      return send(res, renderError(new AwsError(protocol === 'query' ? 'AccessDenied' : 'AccessDeniedException', message, 403), protocol, requestId), requestId, deps.now(), true);
    }

    if (path === '/_local' || path.startsWith('/_local/')) {
      const body = await readBody(req, ADMIN_MAX_BODY);
      if (body === 'too-large') return send(res, { status: 413, body: '{"message":"Body too large."}' }, requestId, deps.now(), true);
      return send(res, deps.admin(method, path, body, headers.authorization), requestId, deps.now());
    }

    const host = headers.host ?? '';
    const route = deps.dataPlane.find((r) => r.match(host, path));
    if (route) {
      const body = await readBody(req, deps.maxBodyBytes);
      if (body === 'too-large') return send(res, { status: 413, headers: { 'content-type': 'application/json' }, body: '{"message":"Request Entity Too Large"}' }, requestId, deps.now(), true);
      const out = await route.handle({ method, url, host, headers: req.headers, body, remoteAddress: req.socket.remoteAddress ?? '' });
      return send(res, out, requestId, deps.now());
    }

    const query = parseRawQuery(rawQuery);
    const auth = parseAuth(headers, query);
    let signingName = auth.kind === 'signed' ? auth.parts.service : auth.kind === 'malformed' ? auth.service : undefined;
    let service = signingName ? deps.services.get(signingName) : undefined;
    let protocol: Protocol = service?.protocol ?? guessProtocol(headers['content-type']);
    const fail = (e: AwsError): void => send(res, renderError(e, protocol, requestId, signingName), requestId, deps.now());

    // Unsigned requests a service takes as anonymous (S3 public access) go to it without a principal.
    if (auth.kind === 'none') {
      const anon = [...deps.services.values()].find((s) => s.acceptsAnonymous?.({ host, path, method, headers }));
      if (anon) {
        protocol = anon.protocol;
        const out = await anon.handle({ method, path, query: lastValues(query), headers, body: Buffer.alloc(0), stream: req, region: 'us-east-1', service: anon.signingName, requestId, principal: undefined });
        return send(res, out, requestId, deps.now());
      }
    }
    // A streaming service (S3) reads the body itself, after the signature is checked.
    if (auth.kind === 'signed' && service?.streaming) {
      const principal = await authenticate(auth.parts, { method, rawPath, rawQuery, headers, body: Buffer.alloc(0), streamed: true }, deps.identity, protocol);
      const key = headers['x-amz-content-sha256']?.startsWith('STREAMING-AWS4-HMAC-SHA256-') ? deps.identity.lookupKey(auth.parts.accessKeyId, auth.parts.securityToken) : undefined;
      const chunks = key?.kind === 'found' ? chunkSigning(auth.parts, key.secretAccessKey) : undefined;
      const out = await service.handle({ method, path, query: lastValues(query), headers, body: Buffer.alloc(0), stream: req, chunkSigning: chunks, region: auth.parts.region, service: auth.parts.service, requestId, principal });
      return send(res, out, requestId, deps.now());
    }

    const body = await readBody(req, deps.maxBodyBytes);
    if (body === 'too-large') {
      return send(res, renderError(authError('too-large', protocol, `Request must be smaller than ${deps.maxBodyBytes} bytes.`), protocol, requestId, signingName), requestId, deps.now(), true);
    }

    let principal: Principal | undefined;
    let region = 'us-east-1';
    if (auth.kind === 'malformed') return fail(authError('incomplete', protocol, auth.message));
    if (auth.kind === 'none') {
      const sts = deps.services.get('sts');
      if (!sts || !unsignedStsAction(body, query)) return fail(authError('missing', protocol));
      service = sts;
      signingName = 'sts';
      protocol = sts.protocol;
    } else {
      if (!service) {
        return fail(new AwsError('UnrecognizedClientException', `This local cloud does not serve the '${auth.parts.service}' service.`, 400));
      }
      principal = await authenticate(auth.parts, { method, rawPath, rawQuery, headers, body }, deps.identity, protocol);
      region = auth.parts.region;
    }

    const out = await service.handle({ method, path, query: lastValues(query), headers, body, region, service: signingName!, requestId, principal });
    send(res, out, requestId, deps.now());
  }

  return function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const requestId = newRequestId();
    // The protocol is needed to render an error thrown anywhere below; recompute it cheaply.
    const protocolOf = (): { protocol: Protocol; name?: string } => {
      const auth = parseAuth(flatHeaders(req), parseRawQuery((req.url ?? '').split('?')[1] ?? ''));
      const name = auth.kind === 'signed' ? auth.parts.service : auth.kind === 'malformed' ? auth.service : undefined;
      const svc = name ? deps.services.get(name) : undefined;
      return { protocol: svc?.protocol ?? guessProtocol(req.headers['content-type']), name: svc ? name : undefined };
    };
    handle(req, res, requestId).catch((e: unknown) => {
      const { protocol, name } = protocolOf();
      if (e instanceof AwsError) {
        send(res, renderError(e, protocol, requestId, name), requestId, deps.now());
        return;
      }
      if (res.destroyed) return; // the client went away; nothing to answer
      deps.log(`local-cloud: request ${requestId} failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      const internal = new AwsError(protocol === 'query' ? 'InternalFailure' : 'ServiceException', 'The request processing has failed because of an unknown error, exception or failure.', 500);
      send(res, renderError(internal, protocol, requestId, name), requestId, deps.now());
    });
  };
}
