/** What the API shows of a provider (no secrets exist on a provider; the external ID is an identifier). */
import type { ProviderRow, LinkRowFull } from './repo.js';
import type { LinkScope } from './tables.js';
import type { Verification } from './verify-report.js';
import { buildCloudFormationTemplate, buildConsoleUrl, buildTrustPolicy, oidcProviderArn, orgSubjectPattern, roleArnAccount, type OidcFacts, type PolicyDocument } from './setup.js';

export interface LinkView {
  readonly id: string;
  readonly scope: LinkScope;
  readonly appId: string | null;
  readonly app: string | null;
  readonly stage: string | null;
  readonly instanceId: string | null;
  readonly createdAt: string;
}

export function linkView(l: LinkRowFull, appNames: Map<string, string>): LinkView {
  return { id: l.id, scope: l.scope, appId: l.app_id, app: l.app_id ? appNames.get(l.app_id) ?? null : null, stage: l.stage, instanceId: l.instance_id, createdAt: l.created_at };
}

export function providerView(p: ProviderRow, links: LinkView[]) {
  return {
    id: p.id, name: p.name, mode: p.mode, roleArn: p.role_arn, accountId: p.account_id, region: p.region,
    sessionDurationSeconds: p.session_duration_seconds, externalId: p.external_id, status: p.status,
    lastVerification: p.last_verification ? (JSON.parse(p.last_verification) as Verification) : null,
    links, createdAt: p.created_at, createdBy: p.created_by, updatedAt: p.updated_at,
  };
}

export interface SetupView {
  readonly externalId: string;
  readonly enginePrincipal: string;
  readonly trustPolicy: PolicyDocument;
  readonly cloudFormationTemplate: string;
  readonly consoleUrl: string | null;
  /** Web-identity only: what the account's IAM OIDC provider must be. */
  readonly oidc?: { issuer: string; audience: string; subjectPattern: string; providerArn: string };
}

export function setupView(p: ProviderRow, ctx: { enginePrincipal: string; oidc: OidcFacts; endpoint: string | undefined }): SetupView {
  const account = p.account_id ?? (p.role_arn ? roleArnAccount(p.role_arn) : undefined) ?? '<ACCOUNT_ID>';
  const trustPolicy = p.mode === 'assume-role'
    ? buildTrustPolicy({ mode: 'assume-role', enginePrincipal: ctx.enginePrincipal, externalId: p.external_id })
    : buildTrustPolicy({ mode: 'web-identity', oidc: ctx.oidc, orgId: p.org_id, accountId: account });
  return {
    externalId: p.external_id,
    enginePrincipal: ctx.enginePrincipal,
    trustPolicy,
    cloudFormationTemplate: buildCloudFormationTemplate({
      providerName: p.name, trustPolicy, sessionDurationSeconds: p.session_duration_seconds, ...(p.mode === 'web-identity' ? { oidc: ctx.oidc } : {}),
    }),
    consoleUrl: buildConsoleUrl({ region: p.region, providerName: p.name, endpoint: ctx.endpoint }) ?? null,
    ...(p.mode === 'web-identity' ? {
      oidc: { issuer: ctx.oidc.issuer, audience: ctx.oidc.audience, subjectPattern: orgSubjectPattern(p.org_id), providerArn: oidcProviderArn(account, ctx.oidc.issuerHost) },
    } : {}),
  };
}
