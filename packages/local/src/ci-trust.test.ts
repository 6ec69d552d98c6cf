// CI without a long-lived token: an in-repo OIDC issuer signs ID tokens, the engine exchanges them
// for 15-minute tokens scoped to one app and stage, and such a token deploys the real
// http-function component to the real local cloud — and nothing else.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { JWTPayload } from 'jose';
import type { LocalCloud } from '@hangar/local-cloud';
import type { Kysely } from 'kysely';
import { createTestEngine, parseSse, startTestIssuer, testDatabases, type TestEngine, type TestIssuer } from '@hangar/engine';
import { startEngineOnLocalCloud, uploadSource } from './testing.js';

/** The two engine tables this test reads (the engine's table types are internal to it). */
interface ReadTables { ci_tokens: { hash: string }; apps: { name: string } }
let engineRef: TestEngine | undefined;
const tables = () => engineRef!.db as unknown as Kysely<ReadTables>;

const region = 'us-east-1';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const SUB = 'repo:acme/shop:ref:refs/heads/main';
const good = { aud: 'hangar-ci', sub: SUB, repository_owner: 'acme' };

for (const db of testDatabases()) describe(`CI trusts and the OIDC exchange (${db.kind})`, { skip: db.skip }, () => {
  let cloud: LocalCloud;
  let engine: TestEngine;
  let issuer: TestIssuer;
  let base: string;
  let owner: { authorization: string };
  let offsetMs = 0;
  const clock = { now: () => new Date(Date.now() + offsetMs) };

  before(async () => {
    issuer = await startTestIssuer();
    ({ cloud, engine, base, headers: owner } = await startEngineOnLocalCloud({ region, database: db.kind, clock }));
    engineRef = engine;
    const t = await engine.app.inject({
      method: 'POST', url: `${base}/ci-trusts`, headers: owner,
      payload: { name: 'shop-prod', issuer: issuer.url, audience: 'hangar-ci', subject: SUB, claims: { repository_owner: 'acme' }, role: 'deployer', app: 'shop', stage: 'prod' },
    });
    assert.equal(t.statusCode, 201, t.body);
  });
  after(async () => {
    await engine?.close();
    await cloud?.stop();
    await issuer?.stop();
  });

  const exchange = (token: string, org = engine.seed!.org.id) => engine.app.inject({ method: 'POST', url: '/api/v1/ci/exchange', payload: { orgId: org, token } });
  async function ciToken(claims: JWTPayload = good): Promise<string> {
    const r = await exchange(await issuer.sign(claims));
    assert.equal(r.statusCode, 200, r.body);
    return r.json().token as string;
  }
  const as = (token: string) => ({ authorization: `Bearer ${token}` });

  const upload = (headers: { authorization: string }, files: Record<string, string>) => uploadSource(engine, base, headers, files);
  const handler = `exports.handler = async () => ({ statusCode: 200, headers: { 'content-type': 'text/plain' }, body: 'deployed from CI' });`;

  test('a good OIDC token is exchanged for a 15-minute scoped token that deploys shop/prod; the exchange is audited', async () => {
    const r = await exchange(await issuer.sign(good), 'acme');
    assert.equal(r.statusCode, 200, r.body);
    const got = r.json();
    assert.match(got.token, /^hgc_[A-Za-z0-9_-]{40,}$/);
    assert.deepEqual([got.orgId, got.app, got.stage, got.role, got.trust.name], [engine.seed!.org.id, 'shop', 'prod', 'deployer', 'shop-prod']);
    const ttl = Date.parse(got.expiresAt) - clock.now().getTime();
    assert.ok(ttl > 14 * 60_000 && ttl <= 15 * 60_000, `lives ${ttl} ms`);
    const stored = await tables().selectFrom('ci_tokens').selectAll().execute();
    assert.ok(stored.some((t) => t.hash === sha(got.token)) && !JSON.stringify(stored).includes(got.token), 'stored as a hash only');

    const headers = as(got.token);
    const manifestId = await upload(headers, { 'index.js': handler });
    const dep = await engine.app.inject({ method: 'POST', url: `${base}/deployments`, headers, payload: { app: 'shop', stage: 'prod', name: 'api', component: 'http-function', inputs: { src: '.', handler: 'index.handler' }, manifestId } });
    assert.equal(dep.statusCode, 202, dep.body);
    const stream = await engine.app.inject({ url: `${base}/deployments/${dep.json().deploymentId}/events`, headers });
    const done = parseSse(stream.body).at(-1)!.data;
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    const answer = await fetch(done.outputs.url as string);
    assert.equal(await answer.text(), 'deployed from CI');
    const d = await engine.app.inject({ url: `${base}/deployments/${dep.json().deploymentId}`, headers });
    assert.equal(d.statusCode, 200);
    assert.equal((await engine.app.inject({ url: `${base}/instances/by-name/shop/prod/api`, headers })).statusCode, 200);

    const events = await engine.audit.list(engine.seed!.org.id);
    const issued = events.find((e) => e.kind === 'ci.token_issued');
    assert.ok(issued, events.map((e) => e.kind).join(', '));
    assert.equal(issued.actor, 'ci:shop-prod');
    assert.equal(issued.data.subject, SUB);
    assert.ok(events.some((e) => e.kind === 'deployment.started' && e.actor === 'ci:shop-prod'), 'the deployment is attributed to the CI trust');
    assert.ok(!JSON.stringify(events).includes(got.token) && !engine.logs.join('\n').includes(got.token), 'the token leaked to the audit log or the log');
  });

  test('the scope holds: no other stage or app, no providers, tokens, members, trusts or audit', async () => {
    const headers = as(await ciToken());
    const deploy = (app: string, stage: string) => engine.app.inject({ method: 'POST', url: `${base}/deployments`, headers, payload: { app, stage, name: 'api', component: 'http-function', inputs: { src: '.', handler: 'index.handler' } } });
    const refused: Array<[string, Awaited<ReturnType<typeof deploy>>]> = [
      ['shop/dev', await deploy('shop', 'dev')],
      ['other/prod', await deploy('other', 'prod')],
      ['GET providers', await engine.app.inject({ url: `${base}/providers`, headers })],
      ['POST providers', await engine.app.inject({ method: 'POST', url: `${base}/providers`, headers, payload: { name: 'evil' } })],
      ['verify provider', await engine.app.inject({ method: 'POST', url: `${base}/providers/local/verify`, headers, payload: {} })],
      ['POST tokens', await engine.app.inject({ method: 'POST', url: `${base}/tokens`, headers, payload: { name: 'forever' } })],
      ['GET members', await engine.app.inject({ url: `${base}/members`, headers })],
      ['POST invitations', await engine.app.inject({ method: 'POST', url: `${base}/invitations`, headers, payload: { email: 'x@evil.dev', role: 'admin' } })],
      ['POST ci-trusts', await engine.app.inject({ method: 'POST', url: `${base}/ci-trusts`, headers, payload: { name: 'x', issuer: issuer.url, audience: 'a', subject: '*', app: 'shop', stage: 'dev' } })],
      ['GET audit', await engine.app.inject({ url: `${base}/audit`, headers })],
      ['GET instances', await engine.app.inject({ url: `${base}/instances`, headers })],
      ['by-name shop/dev', await engine.app.inject({ url: `${base}/instances/by-name/shop/dev/api`, headers })],
      ['whoami', await engine.app.inject({ url: '/api/v1/whoami', headers })],
    ];
    for (const [what, r] of refused) {
      assert.equal(r.statusCode, 403, `${what}: ${r.statusCode} ${r.body}`);
      assert.equal(r.json().code, 'CI_SCOPE_FORBIDDEN', what);
    }
    assert.match(refused[0]![1].json().message, /only deploy app "shop" stage "prod"/);
    // A deployment of another stage, read by id: refused too.
    const other = await engine.app.inject({ method: 'POST', url: `${base}/deployments`, headers: owner, payload: { app: 'shop', stage: 'dev', name: 'api', component: 'http-function', inputs: { src: '.', handler: 'index.handler' } } });
    for (const suffix of ['', '/events', '/logs']) {
      const r = await engine.app.inject({ url: `${base}/deployments/${other.json().deploymentId}${suffix}`, headers });
      assert.equal(r.statusCode, 403, `deployment${suffix}: ${r.body}`);
      assert.equal(r.json().code, 'CI_SCOPE_FORBIDDEN');
    }
    // Nothing was created by the refused deploys.
    const apps = await tables().selectFrom('apps').select('name').execute();
    assert.ok(!apps.some((a) => a.name === 'other'));
    // Another org's routes: still refused, and without saying whether that org exists.
    const foreign = await engine.app.inject({ url: '/api/v1/orgs/org_doesnotexist0000/providers', headers });
    assert.equal(foreign.statusCode, 403);
  });

  test('refused tokens: wrong aud, wrong iss, other sub, wrong claim, expired, not yet valid, alg none, unknown kid, foreign key; each audited', async () => {
    const other = await startTestIssuer();
    try {
      const cases: Array<[string, string, number, string]> = [
        ['wrong aud', await issuer.sign({ ...good, aud: 'someone-else' }), 403, 'CI_TRUST_NO_MATCH'],
        ['wrong iss', await other.sign(good), 403, 'CI_TRUST_NO_MATCH'],
        ['other sub', await issuer.sign({ ...good, sub: 'repo:acme/shop:ref:refs/heads/evil' }), 403, 'CI_TRUST_NO_MATCH'],
        ['other repo owner', await issuer.sign({ ...good, repository_owner: 'evil' }), 403, 'CI_TRUST_NO_MATCH'],
        ['missing claim', await issuer.sign({ aud: good.aud, sub: SUB }), 403, 'CI_TRUST_NO_MATCH'],
        ['expired', await issuer.sign(good, { expiresIn: Math.floor(Date.now() / 1000) - 600, issuedAt: Math.floor(Date.now() / 1000) - 900 }), 401, 'CI_TOKEN_EXPIRED'],
        ['not yet valid', await issuer.sign(good, { notBefore: Math.floor(Date.now() / 1000) + 600, expiresIn: '20m' }), 401, 'CI_TOKEN_EXPIRED'],
        ['alg none', issuer.unsigned(good), 401, 'CI_TOKEN_INVALID'],
        ['unknown kid', await issuer.sign(good, { kid: 'k-unknown', key: 'foreign' }), 401, 'CI_TOKEN_INVALID'],
        ['foreign key, known kid', await issuer.sign(good, { key: 'foreign' }), 401, 'CI_TOKEN_INVALID'],
        ['not a JWT', 'not.a.jwt', 401, 'CI_TOKEN_INVALID'],
      ];
      for (const [what, token, status, code] of cases) {
        const r = await exchange(token);
        assert.equal(r.statusCode, status, `${what}: ${r.body}`);
        assert.equal(r.json().code, code, `${what}: ${r.body}`);
        assert.ok(!r.body.includes('hgc_'), `${what} got a token`);
      }
      const refusals = (await engine.audit.list(engine.seed!.org.id, { kind: 'ci.exchange_refused', limit: 500 })).map((e) => e.data.code);
      for (const [, , , code] of cases) assert.ok(refusals.includes(code), `no audited refusal with ${code}`);
      assert.ok(refusals.length >= cases.length);
      assert.equal(other.hits.size, 0, 'the engine fetched keys from an issuer no trust names');
      const wrongOrg = await exchange(await other.sign(good), 'org_doesnotexist0000');
      assert.equal(wrongOrg.statusCode, 403);
      assert.equal(wrongOrg.json().code, 'CI_TRUST_NO_MATCH');
      // Whether the organisation exists is not told apart, and no trust's patterns are shown to the caller.
      const realOrg = await exchange(await other.sign(good), engine.seed!.org.id);
      assert.equal(realOrg.json().message.replace(engine.seed!.org.id, 'X'), wrongOrg.json().message.replace('org_doesnotexist0000', 'X'));
      const wrongSub = await exchange(await issuer.sign({ ...good, sub: 'repo:evil/x' }));
      assert.ok(!wrongSub.body.includes(SUB) && !wrongSub.body.includes('shop-prod'), wrongSub.body);
      // The discovery document is cached: one fetch for everything above.
      assert.equal(issuer.hits.get('/.well-known/openid-configuration'), 1);
    } finally {
      await other.stop();
    }
  });

  test('trusts are admin-only; an insecure issuer is refused when not allowed; deleting a trust ends its tokens; an expired CI token gets 401', async () => {
    const deployer = await engine.bootstrap.createUser({ email: 'dep@example.com' });
    await engine.bootstrap.addMember(engine.seed!.org.id, deployer.id, 'deployer');
    const dt = engine.auth((await engine.bootstrap.createToken(engine.seed!.org.id, deployer.id, 'd')).token);
    const body = { name: 'tmp', issuer: issuer.url, audience: 'tmp-aud', subject: 'repo:acme/*', app: 'shop', stage: 'dev' };
    assert.equal((await engine.app.inject({ method: 'POST', url: `${base}/ci-trusts`, headers: dt, payload: body })).statusCode, 403);
    assert.equal((await engine.app.inject({ url: `${base}/ci-trusts`, headers: dt })).statusCode, 403);
    const http = await engine.app.inject({ method: 'POST', url: `${base}/ci-trusts`, headers: owner, payload: { ...body, issuer: 'http://gitlab.example.com' } });
    assert.equal(http.statusCode, 400);
    assert.equal(http.json().code, 'CI_ISSUER_INSECURE');
    const bad = await engine.app.inject({ method: 'POST', url: `${base}/ci-trusts`, headers: owner, payload: { ...body, role: 'admin', app: 'no spaces' } });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().message, /body\.role: expected deployer or viewer/);
    assert.match(bad.json().message, /body\.app/);

    const created = await engine.app.inject({ method: 'POST', url: `${base}/ci-trusts`, headers: owner, payload: body });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal((await engine.app.inject({ method: 'POST', url: `${base}/ci-trusts`, headers: owner, payload: body })).json().code, 'CONFLICT');
    const globbed = await exchange(await issuer.sign({ aud: 'tmp-aud', sub: 'repo:acme/anything:ref:refs/tags/v1' }));
    assert.equal(globbed.statusCode, 200, globbed.body);
    assert.equal(globbed.json().stage, 'dev');
    const token = as(globbed.json().token);
    assert.equal((await engine.app.inject({ url: `${base}/instances/by-name/shop/dev/nothing`, headers: token })).json().code, 'NOT_FOUND');
    const list = await engine.app.inject({ url: `${base}/ci-trusts`, headers: owner });
    assert.deepEqual(list.json().trusts.map((t: { name: string }) => t.name), ['shop-prod', 'tmp']);
    assert.equal((await engine.app.inject({ method: 'DELETE', url: `${base}/ci-trusts/tmp`, headers: owner })).statusCode, 204);
    const after = await engine.app.inject({ url: `${base}/instances/by-name/shop/dev/api`, headers: token });
    assert.equal(after.statusCode, 401);
    assert.equal(after.json().code, 'AUTH_REQUIRED');
    const kinds = (await engine.audit.list(engine.seed!.org.id)).map((e) => e.kind);
    assert.ok(kinds.includes('ci_trust.created') && kinds.includes('ci_trust.deleted'));

    const live = as(await ciToken());
    assert.equal((await engine.app.inject({ url: `${base}/instances/by-name/shop/prod/api`, headers: live })).statusCode, 200);
    offsetMs = 15 * 60_000 + 1000;
    try {
      const expired = await engine.app.inject({ url: `${base}/instances/by-name/shop/prod/api`, headers: live });
      assert.equal(expired.statusCode, 401);
      assert.equal(expired.json().code, 'AUTH_REQUIRED');
    } finally { offsetMs = 0; }
    assert.deepEqual((await engine.audit.verifyChain(engine.seed!.org.id)).ok, true);
  });
});

describe('CI trusts whose issuer cannot be reached', () => {
  test('the exchange answers 502 CI_ISSUER_UNREACHABLE (retryable) and is audited', async () => {
    const engine = await createTestEngine();
    const gone = await startTestIssuer();
    try {
      const org = engine.seed!.org.id;
      const t = await engine.app.inject({
        method: 'POST', url: `/api/v1/orgs/${org}/ci-trusts`, headers: engine.auth(engine.seed!.token),
        payload: { name: 'gone', issuer: gone.url, audience: 'a', subject: '*', app: 'shop', stage: 'dev' },
      });
      assert.equal(t.statusCode, 201, t.body);
      const token = await gone.sign({ aud: 'a', sub: 'x' });
      await gone.stop();
      const r = await engine.app.inject({ method: 'POST', url: '/api/v1/ci/exchange', payload: { orgId: org, token } });
      assert.equal(r.statusCode, 502, r.body);
      assert.equal(r.json().code, 'CI_ISSUER_UNREACHABLE');
      assert.match(r.json().message, new RegExp(gone.url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
      assert.deepEqual((await engine.audit.list(org, { kind: 'ci.exchange_refused' })).map((e) => e.data.code), ['CI_ISSUER_UNREACHABLE']);
    } finally {
      await gone.stop().catch(() => {});
      await engine.close();
    }
  });
});

describe('CI trusts on an engine that does not allow insecure issuers', () => {
  test('a loopback http issuer is refused, naming the setting', async () => {
    const engine = await createTestEngine({ config: { ci: { allowInsecureIssuers: false } } });
    try {
      const r = await engine.app.inject({
        method: 'POST', url: `/api/v1/orgs/${engine.seed!.org.id}/ci-trusts`, headers: engine.auth(engine.seed!.token),
        payload: { name: 'local', issuer: 'http://127.0.0.1:9', audience: 'a', subject: '*', app: 'shop', stage: 'dev' },
      });
      assert.equal(r.statusCode, 400);
      assert.equal(r.json().code, 'CI_ISSUER_INSECURE');
      assert.match(r.json().message, /HANGAR_CI_ALLOW_INSECURE_ISSUERS=1/);
    } finally {
      await engine.close();
    }
  });
});
