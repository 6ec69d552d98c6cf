/**
 * HTTP API route keys (`$default`, `GET /pets/{id}`, `ANY /{proxy+}`) and how a request picks
 * one: the most specific path wins (literal segments over variables over a greedy variable),
 * a method over ANY, and `$default` catches the rest. Pure.
 */

export const METHODS = ['ANY', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

export interface ParsedRouteKey {
  readonly method: string;
  readonly segments: readonly string[];
}

/** Parses a route key; undefined for `$default`; an error message when malformed. */
export function parseRouteKey(key: string): ParsedRouteKey | undefined | { error: string } {
  if (key === '$default') return undefined;
  const m = /^([A-Z]+) (\/.*)$/.exec(key);
  if (!m || !METHODS.includes(m[1] as string)) {
    return { error: `Unable to create Route: the route key '${key}' is invalid. Use '$default' or '<METHOD> /<path>', where METHOD is one of ${METHODS.join(', ')}.` };
  }
  const path = m[2] as string;
  const segments = path === '/' ? [] : path.slice(1).split('/');
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i] as string;
    if (s === '') return { error: `Unable to create Route: the route key '${key}' has an empty path segment.` };
    const variable = /^\{[A-Za-z0-9._-]+\+?\}$/.test(s);
    if (!variable && /[{}]/.test(s)) return { error: `Unable to create Route: the path segment '${s}' of '${key}' is not a valid path variable.` };
    if (s.endsWith('+}') && i !== segments.length - 1) {
      return { error: `Unable to create Route: the greedy path variable '${s}' must be the last segment of '${key}'.` };
    }
  }
  return { method: m[1] as string, segments };
}

export interface RouteMatch<R> {
  readonly route: R;
  readonly pathParameters: Record<string, string>;
}

function matchSegments(pattern: readonly string[], path: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    if (p.endsWith('+}')) {
      const rest = path.slice(i);
      if (rest.length === 0) return undefined;
      params[p.slice(1, -2)] = rest.join('/');
      return params;
    }
    const s = path[i];
    if (s === undefined) return undefined;
    if (p.startsWith('{')) {
      if (s === '') return undefined;
      params[p.slice(1, -1)] = s;
    } else if (p !== s) return undefined;
  }
  return pattern.length === path.length ? params : undefined;
}

/** The route a request takes, with its path parameters (URL-decoded), or undefined (404). */
export function selectRoute<R extends { routeKey: string }>(routes: readonly R[], method: string, path: string): RouteMatch<R> | undefined {
  const segs = path === '/' ? [] : path.replace(/^\//, '').split('/');
  let best: { route: R; params: Record<string, string>; score: number[] } | undefined;
  let fallback: R | undefined;
  for (const route of routes) {
    const parsed = parseRouteKey(route.routeKey);
    if (parsed === undefined) {
      fallback = route;
      continue;
    }
    if ('error' in parsed) continue;
    if (parsed.method !== 'ANY' && parsed.method !== method) continue;
    const params = matchSegments(parsed.segments, segs);
    if (!params) continue;
    const greedy = parsed.segments.some((s) => s.endsWith('+}')) ? 0 : 1;
    const literals = parsed.segments.filter((s) => !s.startsWith('{')).length;
    const score = [greedy, literals, parsed.segments.length, parsed.method === 'ANY' ? 0 : 1];
    if (!best || compare(score, best.score) > 0) best = { route, params, score };
  }
  if (best) {
    const decoded: Record<string, string> = {};
    for (const [k, v] of Object.entries(best.params)) decoded[k] = safeDecode(v);
    return { route: best.route, pathParameters: decoded };
  }
  return fallback ? { route: fallback, pathParameters: {} } : undefined;
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return 0;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
