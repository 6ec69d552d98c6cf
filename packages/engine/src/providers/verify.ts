/**
 * The confused-deputy check. With the engine's own identity: AssumeRole must succeed with the
 * external ID and be refused without it and with a wrong one; the session must land in the
 * role's account. Session credentials obtained here are used for one GetCallerIdentity and dropped.
 */
import { AssumeRoleCommand, AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, type Credentials } from '@aws-sdk/client-sts';
import type { EngineConfig } from '../types.js';
import type { OidcIssuer } from './oidc.js';
import type { ProviderRow } from './repo.js';
import { externalIdCondition, orgSubjectPattern, roleArnAccount } from './setup.js';
import { awsErrorFacts, isAccessDenied, stsClient, withSts } from './sts.js';
import { failed, passed, summarise, type Check, type Verification } from './verify-report.js';
import { generateExternalId, sessionTags } from './session-params.js';

export interface VerifyDeps {
  readonly config: EngineConfig;
  readonly oidc: OidcIssuer;
  readonly enginePrincipal: () => Promise<string>;
  readonly now: () => Date;
}

const describe = (err: unknown) => {
  const f = awsErrorFacts(err);
  return `${f.awsCode}${f.message ? ` (${f.message})` : ''}${f.requestId ? `, request id ${f.requestId}` : ''}`;
};

type Outcome = { ok: true; creds: Credentials } | { ok: false; err: unknown };

async function attempt(fn: () => Promise<Credentials | undefined>): Promise<Outcome> {
  try {
    const creds = await fn();
    return creds ? { ok: true, creds } : { ok: false, err: new Error('STS returned no credentials') };
  } catch (err) {
    return { ok: false, err };
  }
}

export async function verifyProvider(deps: VerifyDeps, p: ProviderRow & { role_arn: string }): Promise<Verification> {
  const roleArn = p.role_arn;
  const probeName = `hangar-verify-${p.id}`.slice(0, 64);
  const sts = () => stsClient(deps.config.aws, p.region);
  const checks: Check[] = [];
  const expectedAccount = p.account_id ?? roleArnAccount(roleArn);
  const trustFix = (condition: string) =>
    `Make the trust policy of ${roleArn} the one Hangar gave for this provider (printed by \`hangar providers create\`; also GET /api/v1/orgs/<org>/providers/${p.name}, field setup.trustPolicy, and the dashboard's Providers page); it must include ${condition}.`;

  let session: Credentials | undefined;
  if (p.mode === 'assume-role') {
    const principal = await deps.enginePrincipal();
    // The real calls use the provider's duration, so a role whose MaxSessionDuration is too short fails here, not mid-deploy.
    const assume = (externalId: string | undefined, extra: Partial<ConstructorParameters<typeof AssumeRoleCommand>[0]> = {}) =>
      attempt(() => withSts(sts(), async (c) => (await c.send(new AssumeRoleCommand({
        RoleArn: roleArn, RoleSessionName: probeName, DurationSeconds: p.session_duration_seconds, ...(externalId ? { ExternalId: externalId } : {}), ...extra,
      }))).Credentials));

    const cond = JSON.stringify({ Condition: externalIdCondition(p.external_id) });
    const right = await assume(p.external_id);
    if (right.ok) session = right.creds;
    checks.push(right.ok
      ? passed('assume-with-external-id', 'AssumeRole with the external ID succeeds', `The engine (${principal}) assumed ${roleArn}.`)
      : failed('assume-with-external-id', 'AssumeRole with the external ID succeeds', `AWS refused: ${describe(right.err)}.`,
        awsErrorFacts(right.err).awsCode === 'ValidationError'
          ? `Raise the role's MaxSessionDuration to at least ${p.session_duration_seconds} s, or lower the provider's sessionDurationSeconds (\`PATCH\` it, e.g. to 3600).`
          : `Check the role ARN, and that the role trusts the engine's principal ${principal} for sts:AssumeRole with ${cond}. ${trustFix('that principal and condition')} ` +
            'A role created seconds ago can take a few seconds before AWS lets it be assumed: verify again.'));

    for (const [id, title, extId] of [
      ['refused-without-external-id', 'AssumeRole without an external ID is refused', undefined],
      ['refused-with-wrong-external-id', 'AssumeRole with a wrong external ID is refused', generateExternalId()],
    ] as const) {
      // The shortest session: these probes test the trust policy and nothing else.
      const r = await assume(extId, { DurationSeconds: 900 });
      if (r.ok) {
        checks.push(failed(id, title, 'AWS let the engine assume the role, so anyone using this engine could reach your account (confused deputy).',
          `Add this Condition block to the trust policy statement that allows ${principal}: ${cond}, and make it the only statement trusting that principal.`));
      } else if (isAccessDenied(r.err)) {
        checks.push(passed(id, title, 'Refused with AccessDenied, as it must be.'));
      } else {
        checks.push(failed(id, title, `Inconclusive: expected AccessDenied, got ${describe(r.err)}.`, 'Fix the error above, then verify again.', 'PROVIDER_ASSUME_FAILED'));
      }
    }

    if (right.ok) {
      const tagged = await assume(p.external_id, {
        SourceIdentity: 'hangar-verify', Tags: sessionTags({ orgId: p.org_id, appId: 'verify', stage: 'verify' }),
      });
      checks.push(tagged.ok
        ? passed('session-tags-and-source-identity', 'AssumeRole with session tags and a SourceIdentity succeeds', 'Deployments can be tagged with org, app and stage and attributed to their actor.')
        : failed('session-tags-and-source-identity', 'AssumeRole with session tags and a SourceIdentity succeeds', `AWS refused: ${describe(tagged.err)}.`,
          `Allow "sts:TagSession" and "sts:SetSourceIdentity" next to "sts:AssumeRole" in the trust policy statement that trusts ${principal}.`));
    }
  } else {
    const tokenFor = (orgId: string) => deps.oidc.sign(`org:${orgId}:app:verify:stage:verify`);
    const assume = (token: string, duration = p.session_duration_seconds) => attempt(() => withSts(sts(), async (c) => (await c.send(new AssumeRoleWithWebIdentityCommand({
      RoleArn: roleArn, RoleSessionName: probeName, DurationSeconds: duration, WebIdentityToken: token,
    }))).Credentials));
    const h = deps.oidc.facts.issuerHost;
    const subCond = JSON.stringify({ StringLike: { [`${h}:sub`]: orgSubjectPattern(p.org_id) } });

    const right = await assume(await tokenFor(p.org_id));
    if (right.ok) session = right.creds;
    checks.push(right.ok
      ? passed('web-identity-assume', 'AssumeRoleWithWebIdentity with a token for this org succeeds', `A token from ${deps.oidc.facts.issuer} for this org assumed ${roleArn}.`)
      : failed('web-identity-assume', 'AssumeRoleWithWebIdentity with a token for this org succeeds', `AWS refused: ${describe(right.err)}.`,
        `Register the OIDC provider ${deps.oidc.facts.issuer} (client id ${deps.oidc.facts.audience}) in account ${expectedAccount ?? '<account>'} and ${trustFix(`the conditions on ${h}:aud and ${h}:sub`)}`));
    const other = await assume(await tokenFor('org_someone-else'), 900);
    checks.push(other.ok
      ? failed('web-identity-refused-for-other-org', "A token for another org is refused", "AWS accepted another org's token, so any org on this engine could deploy into your account.",
        `Add this condition to the trust policy: ${subCond}.`)
      : isAccessDenied(other.err)
        ? passed('web-identity-refused-for-other-org', 'A token for another org is refused', 'Refused with AccessDenied, as it must be.')
        : failed('web-identity-refused-for-other-org', 'A token for another org is refused', `Inconclusive: expected AccessDenied, got ${describe(other.err)}.`, 'Fix the error above, then verify again.', 'PROVIDER_ASSUME_FAILED'));
  }

  if (session) {
    const s = session;
    session = undefined;
    let who: { Account?: string; Arn?: string } | undefined;
    let err: unknown;
    try {
      who = await withSts(stsClient(deps.config.aws, p.region, { accessKeyId: s.AccessKeyId!, secretAccessKey: s.SecretAccessKey!, sessionToken: s.SessionToken! }),
        (c) => c.send(new GetCallerIdentityCommand({})));
    } catch (e) {
      err = e;
    }
    if (!who) {
      checks.push(failed('caller-identity-account', 'The session lands in the expected account', `GetCallerIdentity failed: ${describe(err)}.`, 'Retry; if it persists, check the region and endpoint the engine is configured with.'));
    } else {
      checks.push(who.Account === expectedAccount
        ? passed('caller-identity-account', 'The session lands in the expected account', `GetCallerIdentity: ${who.Arn}.`)
        : failed('caller-identity-account', 'The session lands in the expected account', `Expected account ${expectedAccount}, but the session is ${who.Arn} in account ${who.Account}.`,
          `Use a role in account ${expectedAccount} (\`hangar providers verify ${p.name} --role-arn arn:aws:iam::${expectedAccount}:role/<name>\`), or change the provider's account to ${who.Account} (\`hangar providers update ${p.name} --account-id ${who.Account}\`, or the provider's page in the dashboard) and verify again.`));
    }
  } else {
    checks.push(failed('caller-identity-account', 'The session lands in the expected account', 'Not checked: the role could not be assumed.', 'Fix the failing AssumeRole check first.'));
  }

  return summarise(checks, { roleArn, providerName: p.name, at: deps.now().toISOString() });
}
