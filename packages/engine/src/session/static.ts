/**
 * The engine serves the built dashboard at "/" with an SPA fallback: any GET outside /api/ that is
 * not a file answers index.html, so deep links (/orgs/…/instances/…) work on reload.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import { HangarError } from '@hangar/core';

/** packages/dashboard/dist, from src/session (tests) or dist/session (built). */
export function defaultDashboardDir(): string {
  return fileURLToPath(new URL('../../../dashboard/dist', import.meta.url));
}

const CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "font-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

function pageHeaders(reply: FastifyReply): void {
  reply.header('content-security-policy', CSP)
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('cache-control', 'no-cache');
}

const notBuilt = `<!doctype html><meta charset="utf-8"><title>Hangar</title>
<body style="font-family:system-ui;max-width:560px;margin:80px auto;color:#111827">
<h1>The dashboard is not built</h1><p>Build it with <code>npm run build -w @hangar/dashboard</code>, then reload.
The API is available under <code>/api/v1</code>.</p></body>`;

export async function registerDashboard(app: FastifyInstance, dir: string): Promise<void> {
  const built = existsSync(join(dir, 'index.html'));
  if (built) {
    await app.register(fastifyStatic, {
      root: dir,
      prefix: '/',
      wildcard: false,
      index: 'index.html',
      cacheControl: false,
      setHeaders: (reply, path) => {
        if (path.endsWith('.html')) pageHeaders(reply);
        else if (path.includes(`${join('/', 'assets')}/`)) reply.header('cache-control', 'public, max-age=31536000, immutable');
      },
    });
  } else {
    app.get('/', async (_request, reply) => { pageHeaders(reply); return reply.type('text/html; charset=utf-8').send(notBuilt); });
  }

  app.get('/*', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (path === '/api' || path.startsWith('/api/')) throw new HangarError('NOT_FOUND', `No API route ${request.method} ${path}.`);
    // A missing asset is a 404, not the app: a stale cached page would otherwise load HTML as a script.
    if (path.startsWith('/assets/') || /\.[a-z0-9]{1,8}$/i.test(path)) throw new HangarError('NOT_FOUND', `No file ${path}.`);
    pageHeaders(reply);
    if (!built) return reply.type('text/html; charset=utf-8').send(notBuilt);
    return reply.sendFile('index.html', dir);
  });
}
