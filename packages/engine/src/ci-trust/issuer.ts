/**
 * The signing keys of the OIDC issuers CI trusts name: the discovery document
 * (`<issuer>/.well-known/openid-configuration`) gives `jwks_uri`, and jose's remote JWKS set
 * fetches and caches the keys (refetching once, rate-limited, when a token names an unknown
 * `kid`). Only issuers an org has registered are ever fetched, so a token cannot make the engine
 * call an address of its choosing.
 */
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { HangarError } from '@hangar/core';
import { issuerProblem } from './match.js';

const DISCOVERY_TTL_MS = 60 * 60 * 1000;
const TIMEOUT_MS = 5000;

export interface IssuerKeysOptions {
  readonly allowInsecure: boolean;
  /** Milliseconds since the epoch (the engine's clock). */
  readonly now: () => number;
}

export type IssuerKeys = (issuer: string) => Promise<JWTVerifyGetKey>;

function unreachable(issuer: string, why: string): HangarError {
  return new HangarError('CI_ISSUER_UNREACHABLE', `Could not get the signing keys of the CI issuer ${issuer}: ${why}. Check the trust's issuer URL and that the engine can reach it.`, { details: { issuer } });
}

/** One cache per engine (passed in, no module state). */
export function createIssuerKeys(options: IssuerKeysOptions): IssuerKeys {
  const cache = new Map<string, { keys: JWTVerifyGetKey; at: number }>();

  async function discover(issuer: string): Promise<JWTVerifyGetKey> {
    const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    let doc: { issuer?: unknown; jwks_uri?: unknown };
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error', headers: { accept: 'application/json' } });
      if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}`);
      doc = (await res.json()) as typeof doc;
    } catch (e) {
      throw unreachable(issuer, e instanceof Error ? e.message : String(e));
    }
    if (typeof doc.issuer !== 'string' || doc.issuer.replace(/\/+$/, '') !== issuer.replace(/\/+$/, '')) {
      throw unreachable(issuer, `its discovery document names issuer ${JSON.stringify(doc.issuer)}, not ${issuer}`);
    }
    if (typeof doc.jwks_uri !== 'string') throw unreachable(issuer, 'its discovery document has no jwks_uri');
    const problem = issuerProblem(doc.jwks_uri, options.allowInsecure);
    if (problem) throw unreachable(issuer, `its jwks_uri is not acceptable: ${problem}`);
    return createRemoteJWKSet(new URL(doc.jwks_uri), { timeoutDuration: TIMEOUT_MS, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 });
  }

  return async (issuer) => {
    const hit = cache.get(issuer);
    if (hit && options.now() - hit.at < DISCOVERY_TTL_MS) return hit.keys;
    const keys = await discover(issuer);
    cache.set(issuer, { keys, at: options.now() });
    return keys;
  };
}
