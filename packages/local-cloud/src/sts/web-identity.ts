/**
 * AssumeRoleWithWebIdentity: the token's issuer must be an OIDC provider registered in the
 * role's account; its RS256 signature is checked against the JWKS named by the issuer's
 * discovery document; exp/nbf are checked against the server clock.
 */
import { createRemoteJWKSet, decodeJwt, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { AwsError } from '../internal/contract.js';
import { isoSeconds } from '../internal/ids.js';
import { required, validationError, type QueryParams } from '../internal/query.js';
import type { Identity } from '../iam/identity.js';
import { issuerKey } from '../iam/oidc.js';
import { parsePolicy } from '../policy/document.js';
import { evaluateTrust } from '../policy/evaluate.js';
import { durationParam, packedPolicySize, roleArnParam, sessionNameParam, sessionPolicyParams } from './params.js';
import { credentialsShape } from './shapes.js';

type Jwks = ReturnType<typeof createRemoteJWKSet>;

const FETCH_TIMEOUT_MS = 5000;
const DISCOVERY_TTL_MS = 60_000;

/** Per-service cache of issuers' key sets (jose refetches when a key id is unknown). */
export function createJwksCache() {
  const discovered = new Map<string, { jwksUri: string; at: number }>();
  const sets = new Map<string, Jwks>();

  async function jwksUri(issuer: string): Promise<string> {
    const hit = discovered.get(issuer);
    if (hit && Date.now() - hit.at < DISCOVERY_TTL_MS) return hit.jwksUri;
    const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    let doc: { jwks_uri?: unknown };
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'error' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      doc = (await res.json()) as { jwks_uri?: unknown };
    } catch {
      throw new AwsError('IDPCommunicationError', `Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements`, 400);
    }
    if (typeof doc.jwks_uri !== 'string' || !issuerKey(doc.jwks_uri)) {
      throw new AwsError('IDPCommunicationError', 'The discovery document of the identity provider has no usable jwks_uri.', 400);
    }
    discovered.set(issuer, { jwksUri: doc.jwks_uri, at: Date.now() });
    return doc.jwks_uri;
  }

  return {
    async keySet(issuer: string): Promise<Jwks> {
      const uri = await jwksUri(issuer);
      let set = sets.get(uri);
      if (!set) {
        set = createRemoteJWKSet(new URL(uri), { timeoutDuration: FETCH_TIMEOUT_MS });
        sets.set(uri, set);
      }
      return set;
    },
  };
}

export type JwksCache = ReturnType<typeof createJwksCache>;

const invalid = (message: string): AwsError => new AwsError('InvalidIdentityToken', message, 400);

async function verifyToken(token: string, issuer: string, jwks: JwksCache, now: Date): Promise<JWTPayload> {
  const keys = await jwks.keySet(issuer);
  try {
    const { payload } = await jwtVerify(token, keys, { issuer, algorithms: ['RS256'], currentDate: now, requiredClaims: ['exp', 'sub', 'aud'] });
    return payload;
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired) {
      const exp = typeof e.payload.exp === 'number' ? isoSeconds(new Date(e.payload.exp * 1000)) : 'unknown';
      throw new AwsError('ExpiredTokenException', `Token expired: current date/time ${isoSeconds(now)} must be before the expiration date/time ${exp}`, 400);
    }
    if (e instanceof joseErrors.JWTClaimValidationFailed) throw invalid(`The token is not valid: ${e.message}`);
    if (e instanceof joseErrors.JWKSTimeout || (e instanceof Error && e.name === 'TypeError')) {
      throw new AwsError('IDPCommunicationError', "Couldn't retrieve verification key from your identity provider", 400);
    }
    throw invalid('Signature verification failed: the token was not signed by a key of the issuer');
  }
}

export async function assumeRoleWithWebIdentity(identity: Identity, jwks: JwksCache, params: QueryParams): Promise<Record<string, unknown>> {
  const roleArn = roleArnParam(params);
  const sessionName = sessionNameParam(params);
  const token = required(params, 'WebIdentityToken');
  if (token.length < 4 || token.length > 20000) throw validationError('webIdentityToken', undefined, 'Member must have length between 4 and 20000');
  const policy = sessionPolicyParams(params);
  const denied = new AwsError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity', 403);

  const found = identity.findRoleByArn(roleArn);
  if (!found) throw denied;
  const { role, account } = found;

  let claims: JWTPayload;
  try {
    claims = decodeJwt(token);
  } catch {
    throw invalid('The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)');
  }
  const issuer = typeof claims.iss === 'string' ? claims.iss : '';
  const key = issuerKey(issuer);
  const provider = key ? account.oidcProviders[`arn:aws:iam::${account.accountId}:oidc-provider/${key}`] : undefined;
  if (!key || !provider) throw invalid(`No OpenIDConnect provider found in your account for ${issuer}`);

  const payload = await verifyToken(token, issuer, jwks, identity.now());
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud ?? ''];
  const audience = audiences.find((a) => provider.clientIds.includes(a));
  if (audience === undefined) throw invalid('Incorrect token audience');
  const subject = String(payload.sub);

  const sourceClaim = payload['https://aws.amazon.com/source_identity'];
  const sourceIdentity = typeof sourceClaim === 'string' ? sourceClaim : undefined;
  const context: Record<string, string[]> = {
    [`${key}:aud`.toLowerCase()]: [audience],
    [`${key}:sub`.toLowerCase()]: [subject],
    'sts:rolesessionname': [sessionName],
  };
  if (sourceIdentity) context['sts:sourceidentity'] = [sourceIdentity];
  const trust = parsePolicy(role.assumeRolePolicyDocument, 'trust');
  if (evaluateTrust(trust, 'sts:AssumeRoleWithWebIdentity', { federated: provider.arn }, context).decision !== 'allow') throw denied;

  const duration = durationParam(params, role, false);
  const packed = packedPolicySize(policy, {});
  const { record, principal } = identity.issueSession({
    accountId: account.accountId, roleName: role.roleName, roleId: role.roleId, roleArn, sessionName, sourceIdentity,
    tags: {}, transitiveTagKeys: [], sessionPolicies: policy.documents, chained: false, durationSeconds: duration,
  });
  return {
    Credentials: credentialsShape(record),
    SubjectFromWebIdentityToken: subject,
    AssumedRoleUser: { AssumedRoleId: principal.userId, Arn: principal.arn },
    PackedPolicySize: packed,
    Provider: key,
    Audience: audience,
    SourceIdentity: sourceIdentity,
  };
}
