/**
 * Small helpers shared by the rest-json services (Lambda, API Gateway): path matching with
 * `{Label}` segments, JSON bodies in and out.
 */
import { AwsError, type ServiceResponse } from '../internal/contract.js';

export interface RestRoute<Ctx> {
  readonly method: string;
  readonly parts: readonly string[];
  readonly run: (ctx: Ctx, params: Record<string, string>) => Promise<ServiceResponse> | ServiceResponse;
}

/** `rest('GET', '/2015-03-31/functions/{FunctionName}', run)`; a label matches one segment. */
export function rest<Ctx>(method: string, pattern: string, run: RestRoute<Ctx>['run']): RestRoute<Ctx> {
  return { method, parts: pattern.split('/').filter(Boolean), run };
}

/** The route for a method and path with its labels, or undefined. Trailing slashes are ignored. */
export function matchRest<Ctx>(routes: readonly RestRoute<Ctx>[], method: string, path: string):
  { route: RestRoute<Ctx>; params: Record<string, string> } | undefined {
  const segs = path.split('/').filter(Boolean);
  for (const route of routes) {
    if (route.method !== method || route.parts.length !== segs.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    route.parts.forEach((p, i) => {
      const s = segs[i] as string;
      if (p.startsWith('{')) params[p.slice(1, -1)] = s;
      else if (p !== s) ok = false;
    });
    if (ok) return { route, params };
  }
  return undefined;
}

/** Parses a JSON object body; an empty body is `{}`. `onError` builds the service's own error. */
export function jsonBody(body: Buffer, onError: (detail: string) => AwsError): Record<string, unknown> {
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw onError((e as Error).message);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw onError('expected a JSON object');
  return value as Record<string, unknown>;
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): ServiceResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) };
}

export function empty(status: number, headers: Record<string, string> = {}): ServiceResponse {
  return { status, headers };
}

/** Typed field readers that answer with the service's validation error. */
export function fieldReader(bad: (message: string) => AwsError) {
  return {
    str(o: Record<string, unknown>, key: string): string | undefined {
      const v = o[key];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'string') throw bad(`${key}: expected a string`);
      return v;
    },
    num(o: Record<string, unknown>, key: string): number | undefined {
      const v = o[key];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`${key}: expected a number`);
      return v;
    },
    bool(o: Record<string, unknown>, key: string): boolean | undefined {
      const v = o[key];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'boolean') throw bad(`${key}: expected a boolean`);
      return v;
    },
    obj(o: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
      const v = o[key];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'object' || Array.isArray(v)) throw bad(`${key}: expected an object`);
      return v as Record<string, unknown>;
    },
    strMap(o: Record<string, unknown>, key: string): Record<string, string> | undefined {
      const v = o[key];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
        throw bad(`${key}: expected a map of strings`);
      }
      return { ...(v as Record<string, string>) };
    },
  };
}

export { AwsError };
