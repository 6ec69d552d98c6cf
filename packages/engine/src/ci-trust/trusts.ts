import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import type { FastifyRequest } from 'fastify';
import { HangarError, type ErrorCode } from '@hangar/core';
import type { CiExchangeReply, CiTrust } from '@hangar/core/api';
import type { AuditApi, Clock, Db, Logger, Role } from '../types.js';
import type { Authenticator, Identity } from '../http/auth.js';
import { newId } from '../store/ids.js';
import { isUniqueViolation } from '../store/errors.js';
import { claimText, globMatches, issuerProblem } from './match.js';
import type { IssuerKeys } from './issuer.js';
import type { CiTrustsTable } from './tables.js';
import './tables.js';
import '../orgs/tables.js';

export const CI_TOKEN_PREFIX = 'hgc_';
/** A CI token lives at most this long (the bound: 15 minutes). */
export const CI_TOKEN_TTL_MS = 15 * 60 * 1000;
const CI_TOKEN_PATTERN = /^hgc_[A-Za-z0-9_-]{40,}$/;
/** Asymmetric algorithms only: `none` and HMAC (a shared secret the issuer would have to give us) are refused. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const CLOCK_TOLERANCE_S = 30;

const hash = (token: string) => createHash('sha256').update(token).digest('hex');
const short = (v: unknown) => (typeof v === 'string' ? v.slice(0, 300) : v === undefined ? null : JSON.stringify(v).slice(0, 300));

function view(r: CiTrustsTable): CiTrust {
  return {
    id: r.id, orgId: r.org_id, name: r.name, issuer: r.issuer, audience: r.audience, subject: r.subject,
    claims: JSON.parse(r.claims) as Record<string, string>, role: r.role as CiTrust['role'], app: r.app, stage: r.stage,
    createdBy: r.created_by, createdAt: r.created_at,
  };
}

export interface CiTrustsDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly audit: AuditApi;
  readonly logger: Logger;
  readonly keys: IssuerKeys;
  readonly allowInsecureIssuers: boolean;
}

export interface CreateTrustInput {
  readonly name: string; readonly issuer: string; readonly audience: string; readonly subject: string;
  readonly claims: Record<string, string>; readonly role: 'deployer' | 'viewer'; readonly app: string; readonly stage: string;
}

/** The same words whether the organisation exists or not, so the public route does not tell. */
function noTrustForIssuer(orgRef: string, iss: string): string {
  return `Organisation ${JSON.stringify(orgRef)} has no CI trust for issuer ${JSON.stringify(iss)} (or no such organisation exists). Check HANGAR_ORG, and the issuers in \`hangar ci-trust list\`.`;
}

/** A refused exchange: the code and message the caller gets, and what the audit log records. */
class Refusal extends HangarError {
  constructor(code: ErrorCode, message: string, readonly facts: Record<string, unknown> = {}) { super(code, message); }
}

export function createCiTrusts(deps: CiTrustsDeps) {
  const { db, clock, audit, logger } = deps;

  async function create(orgId: string, input: CreateTrustInput, actor: string): Promise<CiTrust> {
    const issuer = input.issuer.replace(/\/+$/, '');
    const problem = issuerProblem(issuer, deps.allowInsecureIssuers);
    if (problem) throw new HangarError('CI_ISSUER_INSECURE', `issuer: ${problem}.`);
    const row: CiTrustsTable = {
      id: newId('cit'), org_id: orgId, name: input.name, issuer, audience: input.audience, subject: input.subject,
      claims: JSON.stringify(input.claims), role: input.role, app: input.app, stage: input.stage,
      created_by: actor, created_at: clock.now().toISOString(),
    };
    try {
      await db.insertInto('ci_trusts').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new HangarError('CONFLICT', `A CI trust named "${input.name}" already exists; pick another name or delete that one first.`);
      throw err;
    }
    const t = view(row);
    await audit.append({ orgId, kind: 'ci_trust.created', actor, subject: `ci-trust:${row.id}`, data: { ...t } });
    return t;
  }

  async function list(orgId: string): Promise<CiTrust[]> {
    return (await db.selectFrom('ci_trusts').selectAll().where('org_id', '=', orgId).orderBy('name').execute()).map(view);
  }

  async function remove(orgId: string, idOrName: string, actor: string): Promise<void> {
    const row = await db.selectFrom('ci_trusts').selectAll().where('org_id', '=', orgId)
      .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)])).executeTakeFirst();
    if (!row) throw new HangarError('NOT_FOUND', `CI trust ${JSON.stringify(idOrName)} not found in this organisation; \`hangar ci-trust list\` lists them.`);
    await db.deleteFrom('ci_tokens').where('trust_id', '=', row.id).execute();
    await db.deleteFrom('ci_trusts').where('id', '=', row.id).execute();
    await audit.append({ orgId, kind: 'ci_trust.deleted', actor, subject: `ci-trust:${row.id}`, data: { trustId: row.id, name: row.name } });
  }

  /** Verify the CI provider's token and match it to a trust; throws a Refusal naming what failed. */
  async function verify(orgId: string, orgRef: string, token: string): Promise<{ trust: CiTrustsTable; claims: JWTPayload }> {
    let alg: string | undefined;
    let unverified: JWTPayload;
    try {
      alg = decodeProtectedHeader(token).alg;
      unverified = decodeJwt(token);
    } catch {
      throw new Refusal('CI_TOKEN_INVALID', 'The CI token is not a JWT: send the OIDC ID token exactly as the CI provider issued it.');
    }
    if (!alg || !ALGORITHMS.includes(alg)) {
      throw new Refusal('CI_TOKEN_INVALID', `The CI token is signed with alg ${JSON.stringify(alg ?? null)}; only asymmetric signatures (${ALGORITHMS.join(', ')}) are accepted, never "none".`, { alg: alg ?? null });
    }
    const iss = typeof unverified.iss === 'string' ? unverified.iss : '';
    const facts = { issuer: short(iss), subject: short(unverified.sub), audience: short(unverified.aud) };
    const candidates = await db.selectFrom('ci_trusts').selectAll().where('org_id', '=', orgId).where('issuer', '=', iss.replace(/\/+$/, '')).orderBy('name').execute();
    if (!candidates.length) {
      throw new Refusal('CI_TRUST_NO_MATCH', noTrustForIssuer(orgRef, iss), facts);
    }
    const problem = issuerProblem(iss, deps.allowInsecureIssuers);
    if (problem) throw new Refusal('CI_ISSUER_INSECURE', `The CI token's issuer is not acceptable: ${problem}.`, facts);
    const keys = await deps.keys(iss);
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, keys, {
        issuer: iss, audience: [...new Set(candidates.map((c) => c.audience))], algorithms: ALGORITHMS,
        currentDate: clock.now(), clockTolerance: CLOCK_TOLERANCE_S, requiredClaims: ['exp', 'sub'],
      }));
    } catch (e) {
      throw refusalFor(e, iss, facts);
    }
    const sub = claims.sub ?? '';
    const auds = [claims.aud ?? []].flat();
    const trust = candidates.find((c) => auds.includes(c.audience) && globMatches(c.subject, sub)
      && Object.entries(JSON.parse(c.claims) as Record<string, string>).every(([k, p]) => {
        const v = claimText(claims[k]);
        return v !== undefined && globMatches(p, v);
      }));
    if (!trust) {
      // The trusts' patterns are not in the answer (anyone may call this route); admins see them with `hangar ci-trust list`,
      // and the audit event names the trusts that were tried.
      throw new Refusal('CI_TRUST_NO_MATCH', `No CI trust for issuer ${iss} matches subject ${JSON.stringify(sub)} and the token's other claims; compare them with \`hangar ci-trust list\`.`, { ...facts, tried: candidates.map((c) => c.name) });
    }
    return { trust, claims };
  }

  function refusalFor(e: unknown, iss: string, facts: Record<string, unknown>): HangarError {
    const code = (e as { code?: string } | null)?.code;
    const claim = (e as { claim?: string } | null)?.claim;
    switch (code) {
      case 'ERR_JWT_EXPIRED': return new Refusal('CI_TOKEN_EXPIRED', 'The CI token has expired; fetch a fresh one in the same job (they live a few minutes).', facts);
      case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
        if (claim === 'nbf' || claim === 'iat') return new Refusal('CI_TOKEN_EXPIRED', `The CI token is not valid yet (${claim} is in the future); check the clocks.`, facts);
        if (claim === 'aud') return new Refusal('CI_TRUST_NO_MATCH', `The CI token's audience ${JSON.stringify(facts.audience)} is not one a trust for ${iss} expects; request the token with the trust's audience.`, facts);
        return new Refusal('CI_TOKEN_INVALID', `The CI token's ${claim ?? 'claims'} did not validate: ${(e as Error).message}.`, facts);
      case 'ERR_JWKS_NO_MATCHING_KEY': return new Refusal('CI_TOKEN_INVALID', `The CI token names a key (kid) that issuer ${iss} does not publish in its JWKS.`, facts);
      case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED': return new Refusal('CI_TOKEN_INVALID', `The CI token's signature does not verify with issuer ${iss}'s keys.`, facts);
      case 'ERR_JOSE_ALG_NOT_ALLOWED':
      case 'ERR_JWS_INVALID':
      case 'ERR_JWT_INVALID': return new Refusal('CI_TOKEN_INVALID', `The CI token is not valid: ${(e as Error).message}.`, facts);
      case 'ERR_JWKS_TIMEOUT':
      case 'ERR_JWKS_INVALID':
      default:
        if (e instanceof HangarError) return e;
        return new HangarError('CI_ISSUER_UNREACHABLE', `Could not check the CI token against issuer ${iss}'s keys: ${e instanceof Error ? e.message : String(e)}.`);
    }
  }

  /** Exchange a CI provider's OIDC token for a short-lived, scoped Hangar token. Every attempt is audited. */
  async function exchange(orgRef: string, token: string): Promise<CiExchangeReply> {
    const org = await db.selectFrom('orgs').select(['id', 'name']).where((eb) => eb.or([eb('id', '=', orgRef), eb('name', '=', orgRef)])).executeTakeFirst();
    if (!org) {
      logger.warn('CI token exchange for an unknown organisation', { org: orgRef.slice(0, 100) });
      let iss = '';
      try { iss = String(decodeJwt(token).iss ?? ''); } catch { /* the same answer as for a bad token of a real org's issuer */ }
      throw new HangarError('CI_TRUST_NO_MATCH', noTrustForIssuer(orgRef, iss));
    }
    let verified: Awaited<ReturnType<typeof verify>>;
    try {
      verified = await verify(org.id, orgRef, token);
    } catch (e) {
      const err = e instanceof HangarError ? e : new HangarError('INTERNAL', 'CI token exchange failed');
      await audit.append({
        orgId: org.id, kind: 'ci.exchange_refused', actor: 'ci:unverified', subject: 'ci-trust:none',
        data: { code: err.code, reason: err.message.slice(0, 500), ...(e instanceof Refusal ? e.facts : {}) },
      });
      throw e;
    }
    const { trust, claims } = verified;
    const secret = `${CI_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + CI_TOKEN_TTL_MS).toISOString();
    const id = newId('cik');
    await db.insertInto('ci_tokens').values({
      id, org_id: org.id, trust_id: trust.id, hash: hash(secret), role: trust.role, app: trust.app, stage: trust.stage,
      subject: String(claims.sub).slice(0, 500), created_at: now.toISOString(), expires_at: expiresAt,
    }).execute();
    await audit.append({
      orgId: org.id, kind: 'ci.token_issued', actor: `ci:${trust.name}`, subject: `ci-trust:${trust.id}`,
      data: { trustId: trust.id, trust: trust.name, tokenId: id, issuer: trust.issuer, subject: short(claims.sub), audience: short(claims.aud), jti: short(claims.jti), app: trust.app, stage: trust.stage, role: trust.role, expiresAt },
    });
    // Expired CI tokens are of no use to anyone: drop them as new ones are issued.
    await db.deleteFrom('ci_tokens').where('expires_at', '<', new Date(now.getTime() - CI_TOKEN_TTL_MS).toISOString()).execute();
    return { token: secret, expiresAt, orgId: org.id, app: trust.app, stage: trust.stage, role: trust.role as 'deployer' | 'viewer', trust: { id: trust.id, name: trust.name } };
  }

  /** `Authorization: Bearer hgc_…`: a CI token, bound to its org, app and stage, with its trust's role. */
  const authenticator: Authenticator = async (request: FastifyRequest): Promise<Identity | undefined> => {
    const m = /^Bearer\s+(hgc_\S*)\s*$/i.exec(request.headers.authorization ?? '');
    if (!m) return undefined;
    const invalid = new HangarError('AUTH_REQUIRED', 'The CI token is unknown or expired (they last 15 minutes), or its CI trust was deleted. Exchange a fresh OIDC token: `hangar deploy` does it when HANGAR_OIDC_TOKEN or the GitHub Actions variables are set.');
    if (!CI_TOKEN_PATTERN.test(m[1]!)) throw invalid;
    const row = await db.selectFrom('ci_tokens').innerJoin('ci_trusts', 'ci_trusts.id', 'ci_tokens.trust_id')
      .select(['ci_tokens.id', 'ci_tokens.org_id', 'ci_tokens.trust_id', 'ci_tokens.role', 'ci_tokens.app', 'ci_tokens.stage', 'ci_tokens.expires_at', 'ci_trusts.name'])
      .where('ci_tokens.hash', '=', hash(m[1]!)).executeTakeFirst();
    if (!row || Date.parse(row.expires_at) <= clock.now().getTime()) throw invalid;
    return {
      userId: row.trust_id, orgId: row.org_id, role: row.role as Role, scope: { app: row.app, stage: row.stage },
      actor: { kind: 'ci', id: row.id, userId: row.trust_id, name: `ci:${row.name}` },
    };
  };

  return { create, list, remove, exchange, authenticator };
}
export type CiTrusts = ReturnType<typeof createCiTrusts>;
