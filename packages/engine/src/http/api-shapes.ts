/**
 * The "Reply shapes" section of docs/api.md, rendered from the API contract's reply schemas
 * (through zod's JSON Schema output) so the reference cannot drift from what the engine sends:
 * `api-docs.test.ts` fails when the section in the file differs from this rendering, and
 * `HANGAR_WRITE_API_DOCS=1 node scripts/test.mjs api-docs` rewrites it.
 */
import { z } from 'zod';
import * as contract from '@hangar/core/api';
import type { ApiRoute } from '@hangar/core/api';

export const SHAPES_START = '<!-- reply-shapes:start (generated from packages/core/src/api by api-docs.test.ts; do not edit by hand) -->';
export const SHAPES_END = '<!-- reply-shapes:end -->';

type Json = { [k: string]: unknown };

function isRoute(v: unknown): v is ApiRoute {
  return typeof v === 'object' && v !== null && typeof (v as ApiRoute).method === 'string' && typeof (v as ApiRoute).path === 'string' && typeof (v as ApiRoute).access === 'string';
}

const methodOrder = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** Every route the contract declares, by path, then method. */
export function contractRoutes(): ApiRoute[] {
  return (Object.values(contract) as unknown[]).filter(isRoute)
    .sort((a, b) => a.path.localeCompare(b.path) || methodOrder.indexOf(a.method) - methodOrder.indexOf(b.method));
}

const WIDTH = 100;

function render(s: Json, indent: string): string {
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  const union = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  if (union) {
    const parts = union.map((b) => render(b, indent));
    const flat = parts.join(' | ');
    return flat.length + indent.length <= WIDTH && !flat.includes('\n') ? flat : parts.join(`\n${indent}| `);
  }
  const type = s.type;
  if (Array.isArray(type)) return type.map((t) => render({ ...s, type: t }, indent)).join(' | ');
  switch (type) {
    case 'string': case 'number': case 'boolean': case 'null': return type;
    case 'integer': return 'number';
    case 'array': return `${wrap(render((s.items ?? {}) as Json, indent))}[]`;
    case 'object': return renderObject(s, indent);
    default: return 'unknown';
  }
}

function wrap(t: string): string {
  return t.includes(' | ') && !t.startsWith('{') ? `(${t})` : t;
}

function renderObject(s: Json, indent: string): string {
  const props = (s.properties ?? {}) as Record<string, Json>;
  const required = new Set((s.required ?? []) as string[]);
  const keys = Object.keys(props);
  const extra = s.additionalProperties !== undefined && s.additionalProperties !== false;
  if (keys.length === 0) return extra ? '{ …any JSON }' : '{}';
  const inner = indent + '  ';
  const fields = keys.map((k) => `${k}${required.has(k) ? '' : '?'}: ${render(props[k]!, inner)}`);
  if (extra) fields.push('…');
  const flat = `{ ${fields.join(', ')} }`;
  if (flat.length + indent.length <= WIDTH && !flat.includes('\n')) return flat;
  return `{\n${fields.map((f) => `${inner}${f}`).join(',\n')}\n${indent}}`;
}

/** One schema as a TypeScript-like shape. */
export function shapeOf(schema: z.ZodType): string {
  return render(z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as Json, '');
}

/** The generated section, markers included. */
export function renderReplyShapes(): string {
  const out = [SHAPES_START, '', '## Reply shapes', '',
    'What each route answers on success, rendered from the reply schemas in `packages/core/src/api/` (the engine',
    'sends exactly these fields: its replies are serialised through the same schemas). `?` marks a field that may be',
    'absent; `…any JSON` a free-form object. Routes without a body (`204`) and the streams are listed with their type.', ''];
  const seen = new Map<string, string>();
  for (const r of contractRoutes()) {
    const status = r.status ?? 200;
    out.push(`### ${r.method} \`${r.path}\``, '');
    const shape = r.reply ? shapeOf(r.reply) : undefined;
    const same = shape === undefined ? undefined : seen.get(shape);
    if (shape !== undefined && same) out.push(`\`${status}\`, the same shape as ${same}.`, '');
    else if (shape !== undefined) {
      seen.set(shape, `${r.method} \`${r.path}\``);
      out.push('```ts', `${status} ${shape}`, '```', '');
    }
    else if (r.path.endsWith('/logs/events')) out.push(`\`${status}\` \`text/event-stream\` of \`FunctionLogStreamEvent\` (below).`, '');
    else if (r.path.endsWith('/events')) out.push(`\`${status}\` \`text/event-stream\` of \`DeploymentEvent\` (below).`, '');
    else if (r.path.endsWith('/logs')) out.push(`\`${status}\` \`application/x-ndjson\`: one \`${shapeOf(contract.logLine)}\` per line.`, '');
    else out.push(`\`${status}\`, no body.`, '');
  }
  out.push('### `DeploymentEvent` (server-sent events of `/deployments/:id/events`)', '', '```ts', shapeOf(contract.deploymentEvent), '```', '');
  out.push('### `FunctionLogStreamEvent` (server-sent events of `/instances/:instanceId/logs/events`)', '', '```ts', shapeOf(contract.functionLogStreamEvent), '```', '', SHAPES_END);
  return out.join('\n');
}
