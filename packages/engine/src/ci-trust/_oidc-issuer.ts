/**
 * Test support: a small OIDC issuer on 127.0.0.1 (port 0) that serves a discovery document and a
 * JWKS and signs RS256 ID tokens with jose, as GitHub Actions or GitLab would. `sign` can also
 * make the bad tokens an engine must refuse (another key, an unknown kid, `alg: none`).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload, type CryptoKey } from 'jose';

export interface TestIssuer {
  readonly url: string;
  /** Requests served, by path (to see the discovery document and JWKS being cached). */
  readonly hits: Map<string, number>;
  /** A signed ID token; defaults: this issuer, 5 minutes, kid "k1". */
  sign(claims: JWTPayload, options?: { kid?: string; key?: 'own' | 'foreign'; expiresIn?: string | number; notBefore?: string | number; issuedAt?: number }): Promise<string>;
  /** An unsigned token (`alg: none`) with these claims. */
  unsigned(claims: JWTPayload): string;
  /**
   * A GitHub Actions style token endpoint: `GET <url>?api-version=2.0&audience=AUD` with
   * `Authorization: bearer <requestToken>` answers `{ value }`, a token for AUD with these claims.
   */
  github(claims: JWTPayload): { requestUrl: string; requestToken: string; audiences: string[] };
  stop(): Promise<void>;
}

export async function startTestIssuer(): Promise<TestIssuer> {
  const own = await generateKeyPair('RS256', { extractable: true });
  const foreign = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(own.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const hits = new Map<string, number>();
  let url = '';
  let github: { claims: JWTPayload; requestToken: string; audiences: string[] } | undefined;
  let sign: TestIssuer['sign'] = async () => '';
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const json = (body: unknown) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
    if (path === '/.well-known/openid-configuration') return json({ issuer: url, jwks_uri: `${url}/.well-known/jwks`, id_token_signing_alg_values_supported: ['RS256'] });
    if (path === '/.well-known/jwks') return json({ keys: [jwk] });
    if (path === '/_github/token' && github && req.headers.authorization === `bearer ${github.requestToken}`) {
      const audience = new URL(req.url ?? '/', url).searchParams.get('audience') ?? url;
      github.audiences.push(audience);
      void sign({ ...github.claims, aud: audience }).then((value) => json({ value }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  sign = async (claims, options = {}) => {
    const key: CryptoKey = options.key === 'foreign' ? foreign.privateKey : own.privateKey;
    const jwt = new SignJWT({ iss: url, ...claims }).setProtectedHeader({ alg: 'RS256', kid: options.kid ?? 'k1', typ: 'JWT' })
      .setIssuedAt(options.issuedAt).setExpirationTime(options.expiresIn ?? '5m');
    if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore);
    return jwt.sign(key);
  };
  return {
    url,
    hits,
    sign,
    github(claims) {
      github = { claims, requestToken: `gh-request-${Math.random().toString(36).slice(2)}`, audiences: [] };
      return { requestUrl: `${url}/_github/token?api-version=2.0`, requestToken: github.requestToken, audiences: github.audiences };
    },
    unsigned(claims) {
      const now = Math.floor(Date.now() / 1000);
      return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: url, iat: now, exp: now + 300, ...claims })}.`;
    },
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
