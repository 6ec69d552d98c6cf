/**
 * The engine as an OpenID Connect issuer for web-identity providers. Tokens are RS256, live at
 * most 5 minutes and name immutable ids in `sub`. The signing key is the keyring's current "oidc"
 * key, shared by every engine on the database (stored encrypted, see keys/keyring.ts); the JWKS
 * lists the current key and the previous ones still inside their rotation overlap.
 *
 * Rolling upgrade: engines of the previous release kept their own key in the data dir and served
 * the JWKS from the `oidc_keys` table. This engine still writes its keys' public halves there (so
 * an older engine's JWKS lists them) and still lists the rows it does not manage (an older
 * engine's own key). The next release stops reading `oidc_keys` (contract step).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import type { Clock, Db, EngineConfig } from '../types.js';
import type { KeyKind, Keyring } from '../keys/index.js';
import { oidcFacts, type OidcFacts } from './setup.js';

export const maxTokenSeconds = 300;

export interface OidcIssuer {
  readonly facts: OidcFacts;
  /** Makes sure the current key is usable (and published in `oidc_keys` for older engines). */
  ensureKey(): Promise<void>;
  /** A signed token for `sub`, valid for at most 5 minutes from the engine clock. */
  sign(sub: string, extraClaims?: Record<string, unknown>, ttlSeconds?: number): Promise<string>;
  discovery(): Record<string, unknown>;
  jwks(): Promise<{ keys: JWK[] }>;
}

/** Where engines before the shared keys kept their private key. */
export function legacyOidcKeyFile(dataDir: string): string {
  return join(dataDir, 'oidc', 'signing-key.json');
}

/** RS256 key pairs as JWK text; the kid is the RFC 7638 thumbprint. */
export function oidcKeyKind(dataDir: string): KeyKind {
  return {
    async generate() {
      const pair = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
      const publicJwk = await exportJWK(pair.publicKey);
      const kid = await calculateJwkThumbprint(publicJwk);
      return { kid, algorithm: 'RS256', publicKey: JSON.stringify({ ...publicJwk, kid, alg: 'RS256', use: 'sig' }), privateKey: JSON.stringify(await exportJWK(pair.privateKey)) };
    },
    async legacy() {
      const file = legacyOidcKeyFile(dataDir);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
      const s = JSON.parse(text) as { kid: string; privateJwk: JWK; publicJwk: JWK };
      return { file, kid: s.kid, algorithm: 'RS256', publicKey: JSON.stringify(s.publicJwk), privateKey: JSON.stringify(s.privateJwk) };
    },
  };
}

type ImportedKey = Awaited<ReturnType<typeof importJWK>>;

export function createOidcIssuer(deps: { db: Db; clock: Clock; config: EngineConfig; keyring: Keyring }): OidcIssuer {
  const facts = oidcFacts(deps.config.publicUrl);
  /** Imported private keys and kids already written to oidc_keys, by kid (both immutable per kid). */
  const imported = new Map<string, Promise<ImportedKey>>();
  const listed = new Set<string>();

  async function listForOlderEngines(kid: string, publicJwk: string): Promise<void> {
    if (listed.has(kid)) return;
    await deps.db.insertInto('oidc_keys')
      .values({ kid, public_jwk: publicJwk, created_at: deps.clock.now().toISOString() })
      .onConflict((oc) => oc.column('kid').doNothing())
      .execute();
    listed.add(kid);
  }

  async function signingKey(): Promise<{ kid: string; key: ImportedKey }> {
    const k = await deps.keyring.current('oidc');
    await listForOlderEngines(k.kid, k.publicKey);
    let key = imported.get(k.kid);
    if (!key) {
      key = importJWK(JSON.parse(k.privateKey) as JWK, 'RS256');
      imported.set(k.kid, key);
    }
    return { kid: k.kid, key: await key };
  }

  return {
    facts,
    async ensureKey() { await signingKey(); },
    async sign(sub, extraClaims = {}, ttlSeconds = maxTokenSeconds) {
      const k = await signingKey();
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
      const managed = await deps.keyring.all('oidc');
      const published = await deps.keyring.published('oidc');
      const current = published.find((k) => k.retiredAt === null);
      if (current) await listForOlderEngines(current.kid, current.publicKey);
      // Rows of oidc_keys the keyring does not manage: keys of engines of the previous release, still running in a rollout.
      const known = new Set(managed.map((k) => k.kid));
      const legacy = await deps.db.selectFrom('oidc_keys').select(['kid', 'public_jwk']).orderBy('created_at').execute();
      return {
        keys: [
          ...published.map((k) => JSON.parse(k.publicKey) as JWK),
          ...legacy.filter((r) => !known.has(r.kid)).map((r) => JSON.parse(r.public_jwk) as JWK),
        ],
      };
    },
  };
}
