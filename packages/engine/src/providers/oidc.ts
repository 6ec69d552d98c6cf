/**
 * The engine as an OpenID Connect issuer for web-identity providers. Tokens are RS256, live at
 * most 5 minutes and name immutable ids in `sub`. The private key is kept in the data dir (mode
 * 0600) and never leaves this module; the public key goes into the `oidc_keys` table so every
 * engine process sharing the store serves the same JWKS.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import type { Clock, Db, EngineConfig } from '../types.js';
import { oidcFacts, type OidcFacts } from './setup.js';

export const maxTokenSeconds = 300;

export interface OidcIssuer {
  readonly facts: OidcFacts;
  /** Creates the signing key on first use (idempotent). */
  ensureKey(): Promise<void>;
  /** A signed token for `sub`, valid for at most 5 minutes from the engine clock. */
  sign(sub: string, extraClaims?: Record<string, unknown>, ttlSeconds?: number): Promise<string>;
  discovery(): Record<string, unknown>;
  jwks(): Promise<{ keys: JWK[] }>;
}

type SigningKey = { kid: string; key: Awaited<ReturnType<typeof importJWK>> };

export function createOidcIssuer(deps: { db: Db; clock: Clock; config: EngineConfig }): OidcIssuer {
  const facts = oidcFacts(deps.config.publicUrl);
  const file = join(deps.config.dataDir, 'oidc', 'signing-key.json');
  let loading: Promise<SigningKey> | undefined;

  async function loadOrCreate(): Promise<SigningKey> {
    let stored: { kid: string; privateJwk: JWK; publicJwk: JWK } | undefined;
    try {
      stored = JSON.parse(await readFile(file, 'utf8'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (!stored) {
      const pair = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
      const publicJwk = await exportJWK(pair.publicKey);
      const kid = await calculateJwkThumbprint(publicJwk);
      const fresh = { kid, privateJwk: await exportJWK(pair.privateKey), publicJwk: { ...publicJwk, kid, alg: 'RS256', use: 'sig' } };
      await mkdir(join(deps.config.dataDir, 'oidc'), { recursive: true, mode: 0o700 });
      try {
        await writeFile(file, JSON.stringify(fresh), { mode: 0o600, flag: 'wx' });
        stored = fresh;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        stored = JSON.parse(await readFile(file, 'utf8'));
      }
    }
    const s = stored!;
    await deps.db.insertInto('oidc_keys')
      .values({ kid: s.kid, public_jwk: JSON.stringify(s.publicJwk), created_at: deps.clock.now().toISOString() })
      .onConflict((oc) => oc.column('kid').doNothing())
      .execute();
    return { kid: s.kid, key: await importJWK(s.privateJwk, 'RS256') };
  }

  function key(): Promise<SigningKey> {
    loading ??= loadOrCreate().catch((e) => { loading = undefined; throw e; });
    return loading;
  }

  return {
    facts,
    async ensureKey() { await key(); },
    async sign(sub, extraClaims = {}, ttlSeconds = maxTokenSeconds) {
      const k = await key();
      const now = Math.floor(deps.clock.now().getTime() / 1000);
      return new SignJWT({ ...extraClaims })
        .setProtectedHeader({ alg: 'RS256', kid: k.kid, typ: 'JWT' })
        .setIssuer(facts.issuer)
        .setAudience(facts.audience)
        .setSubject(sub)
        .setIssuedAt(now)
        .setNotBefore(now - 5)
        .setExpirationTime(now + Math.min(ttlSeconds, maxTokenSeconds))
        .setJti(randomUUID())
        .sign(k.key);
    },
    discovery() {
      return {
        issuer: facts.issuer,
        jwks_uri: `${facts.issuer}/.well-known/jwks.json`,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'https://aws.amazon.com/tags', 'https://aws.amazon.com/source_identity'],
      };
    },
    async jwks() {
      await key(); // the document is never empty, even before the first token
      const rows = await deps.db.selectFrom('oidc_keys').select(['public_jwk']).orderBy('created_at').execute();
      return { keys: rows.map((r) => JSON.parse(r.public_jwk) as JWK) };
    },
  };
}
