/**
 * What a provider's role must look like (pure): the trust policy naming the engine's principal and
 * requiring the engine-generated external ID, a CloudFormation template that creates such a role,
 * and the console link that starts it. Web-identity mode trusts the engine's OIDC issuer instead.
 */

export interface PolicyStatement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: Readonly<Record<string, string | readonly string[]>>;
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}
export interface PolicyDocument { readonly Version: '2012-10-17'; readonly Statement: readonly PolicyStatement[] }

export interface OidcFacts {
  /** The engine's issuer URL (its public URL, no trailing slash). */
  readonly issuer: string;
  /** The issuer as IAM names it in ARNs and condition keys: the URL without its scheme. */
  readonly issuerHost: string;
  readonly audience: string;
}

/** The issuer facts derived from the engine's public URL. */
export function oidcFacts(publicUrl: string): OidcFacts {
  const issuer = publicUrl.replace(/\/+$/, '');
  const issuerHost = issuer.replace(/^[a-z]+:\/\//i, '');
  return { issuer, issuerHost, audience: `hangar:${issuerHost}` };
}

export function oidcProviderArn(accountId: string, issuerHost: string): string {
  return `arn:aws:iam::${accountId}:oidc-provider/${issuerHost}`;
}

/** Every token for this org has a `sub` starting with this; the trust policy matches it with StringLike. */
export function orgSubjectPattern(orgId: string): string {
  return `org:${orgId}:app:*`;
}

/** The exact Condition block an assume-role trust policy needs; quoted in verify's fix messages. */
export function externalIdCondition(externalId: string): { StringEquals: { 'sts:ExternalId': string } } {
  return { StringEquals: { 'sts:ExternalId': externalId } };
}

export type TrustPolicyInput =
  | { readonly mode: 'assume-role'; readonly enginePrincipal: string; readonly externalId: string }
  | { readonly mode: 'web-identity'; readonly oidc: OidcFacts; readonly orgId: string; readonly accountId: string };

export function buildTrustPolicy(input: TrustPolicyInput): PolicyDocument {
  if (input.mode === 'assume-role') {
    return {
      Version: '2012-10-17',
      Statement: [{
        Effect: 'Allow',
        Principal: { AWS: input.enginePrincipal },
        Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
        Condition: externalIdCondition(input.externalId),
      }],
    };
  }
  const h = input.oidc.issuerHost;
  return {
    Version: '2012-10-17',
    Statement: [{
      Effect: 'Allow',
      Principal: { Federated: oidcProviderArn(input.accountId, h) },
      Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession', 'sts:SetSourceIdentity'],
      Condition: {
        StringEquals: { [`${h}:aud`]: input.oidc.audience },
        StringLike: { [`${h}:sub`]: orgSubjectPattern(input.orgId) },
      },
    }],
  };
}

export interface TemplateInput {
  readonly providerName: string;
  readonly trustPolicy: PolicyDocument;
  readonly sessionDurationSeconds: number;
  /** For web-identity: also create the account's OIDC provider for the engine's issuer (optional). */
  readonly oidc?: OidcFacts;
}

/** A role name CloudFormation and IAM accept: [\w+=,.@-], at most 64 characters. */
export function defaultRoleName(providerName: string): string {
  return `hangar-${providerName}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

/**
 * A CloudFormation template (JSON) creating the provider's role. The trust policy is written in
 * literally (external ID and principal are not parameters, so they cannot be changed at stack
 * creation); the role's permissions come from a managed-policy parameter.
 */
export function buildCloudFormationTemplate(input: TemplateInput): string {
  const parameters: Record<string, unknown> = {
    RoleName: { Type: 'String', Default: defaultRoleName(input.providerName), Description: 'Name of the IAM role Hangar assumes to deploy.' },
    PermissionsPolicyArn: {
      Type: 'String',
      Default: 'arn:aws:iam::aws:policy/AdministratorAccess',
      Description: 'Managed policy granting what your deployments need; narrow it to the services your components use.',
    },
  };
  const resources: Record<string, unknown> = {
    HangarDeployerRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        RoleName: { Ref: 'RoleName' },
        Description: `Assumed by Hangar for deployments through provider "${input.providerName}"`,
        MaxSessionDuration: Math.max(3600, input.sessionDurationSeconds),
        AssumeRolePolicyDocument: input.oidc ? federatedInStackAccount(input.trustPolicy, input.oidc) : input.trustPolicy,
        ManagedPolicyArns: [{ Ref: 'PermissionsPolicyArn' }],
      },
    },
  };
  const conditions: Record<string, unknown> = {};
  if (input.oidc) {
    parameters.CreateOidcProvider = {
      Type: 'String', AllowedValues: ['true', 'false'], Default: 'true',
      Description: `Create the IAM OIDC provider for ${input.oidc.issuer} (choose false if this account already has it).`,
    };
    conditions.ShouldCreateOidcProvider = { 'Fn::Equals': [{ Ref: 'CreateOidcProvider' }, 'true'] };
    resources.HangarOidcProvider = {
      Type: 'AWS::IAM::OIDCProvider',
      Condition: 'ShouldCreateOidcProvider',
      Properties: { Url: input.oidc.issuer, ClientIdList: [input.oidc.audience] },
    };
  }
  const template = {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `Hangar deployer role for provider "${input.providerName}"`,
    Parameters: parameters,
    ...(input.oidc ? { Conditions: conditions } : {}),
    Resources: resources,
    Outputs: { RoleArn: { Description: 'Give this to Hangar: hangar providers verify <name> --role-arn <RoleArn>', Value: { 'Fn::GetAtt': ['HangarDeployerRole', 'Arn'] } } },
  };
  return JSON.stringify(template, null, 2);
}

/** In the template the OIDC provider is the stack's own account's, whatever account it runs in. */
function federatedInStackAccount(policy: PolicyDocument, oidc: OidcFacts): unknown {
  return {
    ...policy,
    Statement: policy.Statement.map((st) => st.Principal?.Federated
      ? { ...st, Principal: { Federated: { 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:oidc-provider/${oidc.issuerHost}` } } }
      : st),
  };
}

/**
 * The AWS console page where the template is uploaded to create the stack, with its name
 * filled in. (A one-click "quick-create" link needs the template hosted in S3, which a
 * self-hosted engine does not have.) Undefined for a non-AWS endpoint such as the local cloud.
 */
export function buildConsoleUrl(input: { region: string; providerName: string; endpoint: string | undefined }): string | undefined {
  if (input.endpoint !== undefined) return undefined;
  const stackName = `hangar-${input.providerName}`.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 128);
  const r = encodeURIComponent(input.region);
  return `https://${r}.console.aws.amazon.com/cloudformation/home?region=${r}#/stacks/create/template?stackName=${encodeURIComponent(stackName)}`;
}

/** The account id in an IAM role ARN (arn:aws:iam::123456789012:role/path/name), or undefined. */
export function roleArnAccount(roleArn: string): string | undefined {
  return /^arn:aws[\w-]*:iam::(\d{12}):role\/[\w+=,.@/-]+$/.exec(roleArn)?.[1];
}

/** The engine's own identity as a trust-policy principal: an assumed-role session becomes its role. */
export function principalFromCallerArn(arn: string): string {
  const m = /^arn:(aws[\w-]*):sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/[^/]+$/.exec(arn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : arn;
}
