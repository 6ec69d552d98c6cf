/**
 * HTTP for the engine client. The default is node:http(s) with a keep-alive agent: Node's global
 * fetch loads undici on first use, which measured as the largest single start-up cost of a
 * no-op deploy. A `fetch` can still be passed in (tests, other runtimes) through `fromFetch`.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface TransportRequest {
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: string | Uint8Array | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface TransportResponse {
  readonly status: number;
  text(): Promise<string>;
  /** The body as it arrives (server-sent events). */
  chunks(): AsyncIterable<Uint8Array>;
  /** Stop reading and release the connection. */
  close(): void;
}

export type Transport = (url: string, req: TransportRequest) => Promise<TransportResponse>;

export function nodeTransport(): Transport {
  const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 16 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 16 }) };
  return (url, req) => new Promise<TransportResponse>((resolve, reject) => {
    const u = new URL(url);
    const secure = u.protocol === 'https:';
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = typeof req.body === 'string' ? Buffer.byteLength(req.body) : req.body.byteLength;
    const r = (secure ? httpsRequest : httpRequest)(u, { method: req.method, headers, agent: secure ? agents.https : agents.http }, (res) => {
      resolve({
        status: res.statusCode ?? 0,
        async text() {
          const parts: Buffer[] = [];
          for await (const c of res) parts.push(c as Buffer);
          return Buffer.concat(parts).toString('utf8');
        },
        chunks: () => res,
        close: () => { res.destroy(); },
      });
    });
    r.on('error', reject);
    if (req.signal) {
      if (req.signal.aborted) r.destroy(new Error('aborted'));
      req.signal.addEventListener('abort', () => r.destroy(new Error('aborted')), { once: true });
    }
    r.end(req.body);
  });
}

export function fromFetch(doFetch: typeof fetch): Transport {
  return async (url, req) => {
    const res = await doFetch(url, { method: req.method, headers: req.headers, ...(req.body === undefined ? {} : { body: req.body }), ...(req.signal ? { signal: req.signal } : {}) });
    return {
      status: res.status,
      text: () => res.text(),
      async *chunks() {
        if (!res.body) return;
        const reader = res.body.getReader();
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) return;
            yield value;
          }
        } finally {
          reader.releaseLock();
        }
      },
      close: () => { void res.body?.cancel().catch(() => undefined); },
    };
  };
}
