/**
 * JSON request bodies: Fastify's own parser (secure-json-parse, which refuses `__proto__` and
 * `constructor.prototype` keys so a body cannot pollute prototypes), plus one thing it does not
 * do: when it refuses a body, say whether the JSON was malformed or carried a forbidden key, and
 * name that key. Fastify reports both as "Body is not valid JSON", which sends a person looking
 * for a syntax error that is not there. The extra work happens only on the refusal path.
 */
import type { FastifyInstance } from 'fastify';
import { HangarError } from '@hangar/core';

function keyPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}

/** The first forbidden key of a JSON text, as a dotted path from `body`; undefined when there is none (or the text is not JSON). */
export function forbiddenKeyPath(text: string): string | undefined {
  let root: unknown;
  try {
    root = JSON.parse(text); // JSON.parse defines "__proto__" as an own property: it never changes a prototype
  } catch {
    return undefined;
  }
  const queue: Array<[unknown, string]> = [[root, 'body']];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const [node, path] = next;
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      node.forEach((v, i) => queue.push([v, keyPath(path, i)]));
      continue;
    }
    const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
    if (own(node, '__proto__')) return keyPath(path, '__proto__');
    const ctor = (node as Record<string, unknown>).constructor;
    if (own(node, 'constructor') && ctor !== null && typeof ctor === 'object' && own(ctor, 'prototype')) return keyPath(keyPath(path, 'constructor'), 'prototype');
    for (const [k, v] of Object.entries(node)) queue.push([v, keyPath(path, k)]);
  }
  return undefined;
}

export function installJsonBodyParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    parse(request, String(body), (err, value) => {
      const key = err ? forbiddenKeyPath(String(body)) : undefined;
      if (key === undefined) return done(err, value);
      const name = key.endsWith('.prototype') ? '"constructor" holding "prototype"' : '"__proto__"';
      done(new HangarError('VALIDATION_FAILED', `${key}: a key named ${name} is not accepted: it could change the prototype of the object holding it (prototype pollution). Rename or remove the key.`, { details: { key } }), undefined);
    });
  });
}
