/** IAM OpenID Connect providers: the issuers AssumeRoleWithWebIdentity will trust. */
import { AwsError } from '../internal/contract.js';
import { isoSeconds } from '../internal/ids.js';
import { memberList, required, validationError } from '../internal/query.js';
import type { IamCall, IamOperation } from './service.js';
import { oidcShape, parseTags } from './shapes.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The provider key of an issuer URL: without scheme and trailing slash. AWS requires https://;
 * issuers on a loopback address may use http:// here (a documented difference).
 */
export function issuerKey(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && LOOPBACK.has(u.hostname))) return undefined;
  if (u.search || u.hash || u.username) return undefined;
  return (u.host + u.pathname).replace(/\/+$/, '');
}

function find(call: IamCall, action: string) {
  const arn = required(call.params, 'OpenIDConnectProviderArn');
  call.identity.authorize(call.principal, action, arn);
  const p = call.account.oidcProviders[arn];
  if (!p) throw new AwsError('NoSuchEntity', `OpenIDConnect Provider not found for arn ${arn}`, 404);
  return p;
}

export const oidcOps: Record<string, IamOperation> = {
  CreateOpenIDConnectProvider(call) {
    const url = required(call.params, 'Url');
    const key = issuerKey(url);
    if (!key) throw validationError('url', url, 'Member must be a URL that begins with https://');
    const arn = `arn:aws:iam::${call.account.accountId}:oidc-provider/${key}`;
    call.identity.authorize(call.principal, 'iam:CreateOpenIDConnectProvider', arn);
    const clientIds = memberList(call.params, 'ClientIDList');
    if (clientIds.length > 100) throw new AwsError('LimitExceeded', 'Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100', 409);
    for (const id of clientIds) if (id.length < 1 || id.length > 255) throw validationError('clientIDList.member', id, 'Member must have length between 1 and 255');
    const thumbprints = memberList(call.params, 'ThumbprintList');
    for (const t of thumbprints) if (!/^[0-9a-fA-F]{40}$/.test(t)) throw validationError('thumbprintList.member', t, 'Member must have length greater than or equal to 40');
    if (call.account.oidcProviders[arn]) throw new AwsError('EntityAlreadyExists', `Provider with url ${url} already exists.`, 409);
    call.account.oidcProviders[arn] = {
      arn, url: key, clientIds, thumbprints, createDate: isoSeconds(call.identity.now()), tags: parseTags(call.params),
    };
    return { OpenIDConnectProviderArn: arn };
  },
  GetOpenIDConnectProvider(call) {
    return oidcShape(find(call, 'iam:GetOpenIDConnectProvider'));
  },
  DeleteOpenIDConnectProvider(call) {
    const arn = required(call.params, 'OpenIDConnectProviderArn');
    call.identity.authorize(call.principal, 'iam:DeleteOpenIDConnectProvider', arn);
    // AWS answers success for a provider that does not exist.
    delete call.account.oidcProviders[arn];
    return undefined;
  },
  ListOpenIDConnectProviders(call) {
    call.identity.authorize(call.principal, 'iam:ListOpenIDConnectProviders', '*');
    const list = Object.keys(call.account.oidcProviders).sort().map((Arn) => ({ Arn }));
    return { OpenIDConnectProviderList: list.length ? { member: list } : '' };
  },
};
