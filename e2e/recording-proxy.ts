/**
 * A pass-through HTTP proxy that records every request and response it carries, so end-to-end
 * tests can search all traffic between two real processes for values that must never travel.
 * Responses are streamed through as they arrive (server-sent events keep working).
 */
import { createServer, request as httpRequest, type Server } from 'node:http';

export interface Exchange {
  readonly method: string;
  readonly url: string;
  readonly requestHeaders: Record<string, string | string[] | undefined>;
  readonly requestBody: Buffer;
  status: number;
  responseHeaders: Record<string, string | string[] | undefined>;
  responseBody: Buffer;
}

export interface RecordingProxy {
  readonly url: string;
  readonly exchanges: Exchange[];
  /** All recorded bytes (headers and bodies, both directions) as one string, for searching. */
  text(from?: number): string;
  close(): Promise<void>;
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const to = new URL(target);
  const exchanges: Exchange[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const ex: Exchange = {
        method: req.method ?? 'GET', url: req.url ?? '/', requestHeaders: { ...req.headers },
        requestBody: Buffer.concat(chunks), status: 0, responseHeaders: {}, responseBody: Buffer.alloc(0),
      };
      exchanges.push(ex);
      const upstream = httpRequest({
        host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers,
      }, (up) => {
        ex.status = up.statusCode ?? 0;
        ex.responseHeaders = { ...up.headers };
        res.writeHead(up.statusCode ?? 502, up.headers);
        const out: Buffer[] = [];
        up.on('data', (c: Buffer) => { out.push(c); res.write(c); });
        up.on('end', () => { ex.responseBody = Buffer.concat(out); res.end(); });
      });
      upstream.on('error', (e) => { ex.status = 502; res.writeHead(502); res.end(String(e)); });
      upstream.end(ex.requestBody);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    text(from = 0) {
      return exchanges.slice(from).map((e) => [
        e.method, e.url, JSON.stringify(e.requestHeaders), e.requestBody.toString('utf8'),
        String(e.status), JSON.stringify(e.responseHeaders), e.responseBody.toString('utf8'),
      ].join('\n')).join('\n');
    },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
