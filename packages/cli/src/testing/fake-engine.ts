/**
 * A small stand-in for the engine's HTTP API, for the CLI's tests: the routes the CLI uses, a
 * real source-cache protocol (manifests by id, deltas, blobs checked against their hash), and a
 * record of every request it received (headers and bodies) so tests can assert on bytes and
 * on what never arrived.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { applyDelta, BLOB_BATCH_CONTENT_TYPE, manifestId, readBlobFrames, type ManifestEntry, type SourceUploadRequest } from '@hangar/core';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

export interface FakeDeployment {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  action: string;
  app: string; stage: string; name: string; component: string;
  inputs: Record<string, unknown>;
  manifestId: string | null;
  outputs: Record<string, unknown> | null;
  error: { code: string; message: string; awsCode: string | null; requestId: string | null } | null;
  provider: { id: string; name: string; roleArn: string } | null;
  logs: { seq: number; level: string; message: string }[];
  /** dropStreamOnce: the status the deployment ends with once a client has come back after the drop. */
  resumeTo?: 'succeeded' | 'failed';
}

export interface FakeEngineOptions {
  readonly token?: string;
  /** Make every deployment fail with this error (e.g. PROVIDER_NOT_CONFIGURED). */
  readonly failWith?: { code: string; message: string };
  /** More org routes (e.g. a function's logs): answer and return true, or return false to fall through. */
  readonly routes?: (req: IncomingMessage, res: ServerResponse, rest: string, url: URL, body: Buffer) => boolean;
  /** Answer POST /blobs with 404, as an engine from before batched uploads does. */
  readonly noBlobBatches?: boolean;
}

export interface FakeEngine {
  readonly url: string;
  readonly token: string;
  readonly orgId: string;
  readonly requests: RecordedRequest[];
  readonly blobs: Map<string, Buffer>;
  readonly deployments: FakeDeployment[];
  /** Drop every stored manifest (an engine that lost its source cache). */
  forgetManifests(): void;
  setFailure(f: { code: string; message: string } | undefined): void;
  /** The next deployment stays running; its event stream sends that status and a log line, then
   * the engine goes away (connections destroyed, port closed), as a crashed engine would. */
  dieMidStream(): void;
  /** The next deployment's first event stream sends a status and line 1, then its connection is
   * cut (the engine stays up, as behind a proxy that drops idle streams); later streams honour
   * Last-Event-ID and finish it. */
  dropStreamOnce(): void;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const err = (res: ServerResponse, status: number, code: string, message: string) => send(res, status, { code, message });

export async function startFakeEngine(options: FakeEngineOptions = {}): Promise<FakeEngine> {
  const token = options.token ?? 'hgr_test_token_0123456789abcdefghijklmnopqrstuvwxyz';
  const orgId = 'org_test';
  const requests: RecordedRequest[] = [];
  const manifests = new Map<string, Map<string, ManifestEntry>>();
  const blobs = new Map<string, Buffer>();
  const deployments: FakeDeployment[] = [];
  let failure = options.failWith;
  let dying = false;
  let dropNext = false;
  const provider = { id: 'prv_1', name: 'default', roleArn: 'arn:aws:iam::222222222222:role/hangar-deployer' };

  const view = (d: FakeDeployment) => ({ ...d, logs: undefined, durationMs: 5, instanceId: 'ins_1' });

  async function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    if (req.headers.authorization !== `Bearer ${token}`) return err(res, 401, 'AUTH_REQUIRED', 'No valid API token was presented.');
    if (req.method === 'GET' && path === '/api/v1/whoami') {
      return send(res, 200, { user: { id: 'usr_1', email: 'dev@example.com', name: 'Dev' }, actor: { kind: 'token', name: 'token:test' }, orgs: [{ id: orgId, name: 'acme', role: 'owner' }] });
    }
    const m = /^\/api\/v1\/orgs\/([^/]+)(\/.*)$/.exec(path);
    if (!m || m[1] !== orgId) return err(res, 404, 'NOT_FOUND', 'No such organisation.');
    const rest = m[2]!;
    const json = () => JSON.parse(body.toString('utf8')) as Record<string, unknown>;

    if (req.method === 'POST' && rest === '/sources') {
      const r = json() as unknown as SourceUploadRequest;
      let entries: Map<string, ManifestEntry>;
      if (r.kind === 'full') entries = new Map(r.entries.map((e) => [e.path, e]));
      else {
        const base = manifests.get(r.base);
        if (!base) return err(res, 409, 'SOURCE_BASE_UNKNOWN', `Manifest ${r.base} is not held here; send kind "full".`);
        entries = applyDelta(base, r.put, r.delete);
        if (manifestId(entries.values()) !== r.manifestId) return err(res, 409, 'SOURCE_MANIFEST_MISMATCH', 'The delta does not give the manifest id you computed.');
      }
      const id = manifestId(entries.values());
      manifests.set(id, entries);
      const missing = [...new Set([...entries.values()].map((e) => e.sha256))].filter((s) => !blobs.has(s));
      let bytes = 0;
      for (const e of entries.values()) bytes += e.size;
      return send(res, 200, { manifestId: id, missing, files: entries.size, bytes });
    }
    const blob = /^\/blobs\/([0-9a-f]{64})$/.exec(rest);
    if (req.method === 'PUT' && blob) {
      if (createHash('sha256').update(body).digest('hex') !== blob[1]) return err(res, 400, 'SOURCE_BLOB_HASH_MISMATCH', 'The blob does not match its sha256.');
      blobs.set(blob[1]!, body);
      return send(res, 204);
    }
    if (req.method === 'POST' && rest === '/blobs' && !options.noBlobBatches) {
      if (req.headers['content-type'] !== BLOB_BATCH_CONTENT_TYPE) return err(res, 400, 'VALIDATION_FAILED', `body: expected content-type ${BLOB_BATCH_CONTENT_TYPE}`);
      const stored: string[] = [];
      const refused: { sha256: string; code: string; message: string }[] = [];
      for await (const f of readBlobFrames([body], { maxBlobBytes: 100 * 1024 * 1024, maxBodyBytes: 1024 * 1024 * 1024 })) {
        if (f.kind !== 'blob') continue;
        if (createHash('sha256').update(f.bytes).digest('hex') !== f.sha256) {
          refused.push({ sha256: f.sha256, code: 'SOURCE_BLOB_HASH_MISMATCH', message: `The upload for ${f.sha256} does not match its sha256.` });
          continue;
        }
        blobs.set(f.sha256, Buffer.from(f.bytes));
        stored.push(f.sha256);
      }
      return send(res, 200, { stored, refused });
    }
    if (req.method === 'POST' && rest === '/deployments') {
      const b = json();
      const mid = (b.manifestId as string | undefined) ?? null;
      if (mid !== null) {
        const man = manifests.get(mid);
        if (!man) return err(res, 400, 'SOURCE_MANIFEST_UNKNOWN', `Manifest ${mid} was never uploaded.`);
        if ([...man.values()].some((e) => !blobs.has(e.sha256))) return err(res, 409, 'SOURCE_BLOBS_MISSING', 'Some files were never uploaded.');
      }
      const d: FakeDeployment = {
        id: `dep_${deployments.length + 1}`, status: failure ? 'failed' : 'succeeded', action: String(b.action ?? 'deploy'),
        app: String(b.app), stage: String(b.stage), name: String(b.name), component: String(b.component),
        inputs: b.inputs as Record<string, unknown>, manifestId: mid,
        outputs: failure ? null : { url: `http://127.0.0.1:1/${String(b.app)}-${String(b.stage)}`, functionName: `${String(b.app)}-${String(b.name)}` },
        error: failure ? { ...failure, awsCode: null, requestId: null } : null,
        provider: failure ? null : provider,
        logs: [
          { seq: 1, level: 'info', message: `assuming ${provider.roleArn} as hangar-dep_${deployments.length + 1}` },
          { seq: 2, level: failure ? 'error' : 'info', message: failure ? failure.message : 'function updated' },
        ],
      };
      if (dying) d.status = 'running';
      if (dropNext) {
        dropNext = false;
        d.resumeTo = d.status === 'failed' ? 'failed' : 'succeeded';
        d.status = 'running';
      }
      deployments.push(d);
      return send(res, 202, { deploymentId: d.id, status: 'queued', instanceId: 'ins_1' });
    }
    const dep = /^\/deployments\/([^/]+)(\/events|\/logs)?$/.exec(rest);
    if (req.method === 'GET' && dep) {
      const d = deployments.find((x) => x.id === dep[1]);
      if (!d) return err(res, 404, 'NOT_FOUND', `Deployment ${dep[1]} not found.`);
      if (dep[2] === '/logs') {
        res.writeHead(200, { 'content-type': 'application/x-ndjson' }).end(d.logs.map((l) => JSON.stringify(l)).join('\n') + '\n');
        return;
      }
      if (dep[2] === '/events') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('retry: 1000\n\n');
        res.write(`event: status\ndata: ${JSON.stringify({ status: 'running' })}\n\n`);
        if (dying && d.status === 'running') {
          res.write(`id: 1\nevent: log\ndata: ${JSON.stringify(d.logs[0])}\n\n`, () => {
            server.close();
            server.closeAllConnections();
          });
          return;
        }
        if (d.resumeTo && !req.headers['last-event-id']) {
          res.write(`id: 1\nevent: log\ndata: ${JSON.stringify(d.logs[0])}\n\n`, () => res.destroy());
          return;
        }
        if (d.resumeTo) [d.status, d.resumeTo] = [d.resumeTo, undefined];
        const after = Number(req.headers['last-event-id'] ?? 0);
        for (const l of d.logs) if (l.seq > after) res.write(`id: ${l.seq}\nevent: log\ndata: ${JSON.stringify(l)}\n\n`);
        res.write(`event: status\ndata: ${JSON.stringify({ status: d.status })}\n\n`);
        res.end(`event: done\ndata: ${JSON.stringify(view(d))}\n\n`);
        return;
      }
      return send(res, 200, view(d));
    }
    const ins = /^\/instances\/by-name\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(rest);
    if (req.method === 'GET' && ins) {
      const [app, stage, name] = [ins[1], ins[2], ins[3]].map((s) => decodeURIComponent(s!));
      const last = [...deployments].reverse().find((d) => d.app === app && d.stage === stage && d.name === name);
      if (!last) return err(res, 404, 'NOT_FOUND', `Instance ${app}/${stage}/${name} not found.`);
      return send(res, 200, {
        id: 'ins_1', app, stage, name, component: last.component, status: last.status === 'succeeded' ? (last.action === 'remove' ? 'removed' : 'deployed') : 'failed',
        inputs: last.inputs, outputs: last.outputs ?? {}, updatedAt: '2026-01-01T00:00:00.000Z',
        lastDeployment: { id: last.id, action: last.action, status: last.status, actor: 'token:test', createdAt: '2026-01-01T00:00:00.000Z', finishedAt: null, durationMs: 5, error: last.error },
      });
    }
    if (req.method === 'GET' && rest === '/audit/verify') return send(res, 200, { ok: true, count: 3 });
    if (options.routes?.(req, res, rest, url, body)) return;
    return err(res, 404, 'NOT_FOUND', `no route ${req.method} ${path}`);
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handle(req, res, body).catch((e: unknown) => err(res, 500, 'INTERNAL', String(e)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`, token, orgId, requests, blobs, deployments,
    forgetManifests: () => manifests.clear(),
    setFailure: (f) => { failure = f; },
    dieMidStream: () => { dying = true; },
    dropStreamOnce: () => { dropNext = true; },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
