import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CreateOpenIDConnectProviderCommand, CreateRoleCommand, GetOpenIDConnectProviderCommand } from '@aws-sdk/client-iam';
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { advanceClock, createAccount, startLocalCloud, type LocalCloud } from '../index.js';
import { iamClient, rejectsWith, stsClient } from '../test-support.js';

const A = '111111111111';
const AUDIENCE = 'hangar-engine';

/** A tiny OIDC issuer: discovery document and JWKS on 127.0.0.1. */
async function startIssuer(publicJwk: Record<string, unknown>): Promise<{ server: Server; issuer: string }> {
  let issuer = '';
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') {
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks.json`, id_token_signing_alg_values_supported: ['RS256'] }));
    } else if (req.url === '/jwks.json') {
      res.end(JSON.stringify({ keys: [publicJwk] }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, issuer };
}

describe('STS AssumeRoleWithWebIdentity', () => {
  let cloud: LocalCloud;
  let issuerServer: Server;
  let issuer: string;
  let key: CryptoKey;
  let otherKey: CryptoKey;
  let roleArn: string;
  let sts: STSClient;

  before(async () => {
    const pair = await generateKeyPair('RS256');
    key = pair.privateKey;
    otherKey = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    ({ server: issuerServer, issuer } = await startIssuer(jwk));
    cloud = await startLocalCloud({ port: 0, services: [], allowClockControl: true });
    const root = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId: A });
    const iam = iamClient(cloud.endpoint, root);
    const provider = await iam.send(new CreateOpenIDConnectProviderCommand({ Url: issuer, ClientIDList: [AUDIENCE] }));
    const host = issuer.replace('http://', '');
    assert.equal(provider.OpenIDConnectProviderArn, `arn:aws:iam::${A}:oidc-provider/${host}`);
    const got = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: provider.OpenIDConnectProviderArn }));
    assert.equal(got.Url, host);
    assert.deepEqual(got.ClientIDList, [AUDIENCE]);
    const role = await iam.send(new CreateRoleCommand({
      RoleName: 'oidc-deployer',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{
          Effect: 'Allow', Principal: { Federated: provider.OpenIDConnectProviderArn }, Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: { StringEquals: { [`${host}:aud`]: AUDIENCE }, StringLike: { [`${host}:sub`]: 'org:o1:*' } },
        }],
      }),
    }));
    roleArn = role.Role!.Arn!;
    // No credentials: the SDK sends AssumeRoleWithWebIdentity unsigned.
    sts = new STSClient({ endpoint: cloud.endpoint, region: 'us-east-1', maxAttempts: 1 });
  });
  after(async () => {
    await cloud.stop();
    await new Promise<void>((resolve) => issuerServer.close(() => resolve()));
  });

  const token = (claims: { sub?: string; aud?: string; exp?: number; nbf?: number; iss?: string }, signWith = key): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(claims.iss ?? issuer).setSubject(claims.sub ?? 'org:o1:app:a1:stage:dev').setAudience(claims.aud ?? AUDIENCE)
      .setIssuedAt(now).setExpirationTime(claims.exp ?? now + 300);
    if (claims.nbf !== undefined) jwt.setNotBefore(claims.nbf);
    return jwt.sign(signWith);
  };
  const assume = async (t: string) => sts.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: roleArn, RoleSessionName: 'hangar-dep9', WebIdentityToken: t, DurationSeconds: 900 }));

  it('a good token gets session credentials that work', async () => {
    const out = await assume(await token({}));
    assert.equal(out.SubjectFromWebIdentityToken, 'org:o1:app:a1:stage:dev');
    assert.equal(out.Audience, AUDIENCE);
    assert.equal(out.AssumedRoleUser!.Arn, `arn:aws:sts::${A}:assumed-role/oidc-deployer/hangar-dep9`);
    assert.match(out.Credentials!.AccessKeyId!, /^ASIA/);
    const me = await stsClient(cloud.endpoint, {
      accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: out.Credentials!.SecretAccessKey!, sessionToken: out.Credentials!.SessionToken!,
    }).send(new GetCallerIdentityCommand({}));
    assert.equal(me.Arn, `arn:aws:sts::${A}:assumed-role/oidc-deployer/hangar-dep9`);
  });

  it('refuses a wrong audience', async () => {
    const e = await rejectsWith(assume(await token({ aud: 'someone-else' })), 'InvalidIdentityTokenException', 400);
    assert.match(e.message, /audience/);
  });

  it('refuses a bad signature', async () => {
    await rejectsWith(assume(await token({}, otherKey)), 'InvalidIdentityTokenException', 400);
    const good = await token({});
    const tampered = good.slice(0, -6) + (good.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA');
    await rejectsWith(assume(tampered), 'InvalidIdentityTokenException', 400);
  });

  it('refuses an expired token and one not yet valid', async () => {
    const now = Math.floor(Date.now() / 1000);
    const e = await rejectsWith(assume(await token({ exp: now - 60 })), 'ExpiredTokenException', 400);
    assert.match(e.message, /Token expired/);
    await rejectsWith(assume(await token({ nbf: now + 600 })), 'InvalidIdentityTokenException', 400);
  });

  it('refuses a sub the trust policy does not allow', async () => {
    const e = await rejectsWith(assume(await token({ sub: 'org:o2:app:a1:stage:dev' })), 'AccessDenied', 403);
    assert.match(e.message, /sts:AssumeRoleWithWebIdentity/);
  });

  it('refuses an issuer that is not a registered provider, and garbage', async () => {
    await rejectsWith(assume(await token({ iss: 'http://127.0.0.1:9/other' })), 'InvalidIdentityTokenException', 400);
    await rejectsWith(assume('not-a-jwt'), 'InvalidIdentityTokenException', 400);
  });

  it('checks expiry against the server clock', async () => {
    const t = await token({});
    await advanceClock(cloud.endpoint, 600, { adminToken: cloud.adminToken });
    await rejectsWith(assume(t), 'ExpiredTokenException', 400);
  });
});
