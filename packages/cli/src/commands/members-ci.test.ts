/**
 * `hangar members …`, `hangar login --invite` and `hangar ci-trust …` against the real engine and
 * local cloud (the embedded default, on port 0), and `hangar deploy` in a CI job with no Hangar
 * token: the job's OIDC token (from an in-repo issuer; given as HANGAR_OIDC_TOKEN, or fetched the
 * GitHub Actions way) is exchanged for a short-lived token that deploys only its app and stage.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestIssuer, type TestIssuer } from '@hangar/engine';
import { startEmbedded, type Embedded } from '@hangar/local';
import { testContext } from '../testing/helpers.js';
import { main } from '../main.js';

const example = fileURLToPath(new URL('../../../../examples/hello-http', import.meta.url));
const SUB = 'repo:acme/hello:ref:refs/heads/main';
let up: Embedded;
let issuer: TestIssuer;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hangar-cli-ci-'));
  issuer = await startTestIssuer();
  up = await startEmbedded({ dataDir: join(dir, 'data'), port: 0, cloudPort: 0, step: () => undefined });
  cpSync(example, join(dir, 'project'), { recursive: true });
});
after(async () => {
  await up?.close();
  await issuer?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function hangar(args: string[], expected = 0, env: Record<string, string> = { HANGAR_HOME: join(dir, 'home') }) {
  const ctx = testContext(join(dir, 'project'), env);
  const code = await main(args, ctx);
  assert.equal(code, expected, `hangar ${args.join(' ')} exited ${code}\n${ctx.stdout.text()}\n${ctx.stderr.text()}`);
  return { out: ctx.stdout.text(), err: ctx.stderr.text() };
}

test('members: invite prints a one-time code; login --invite stores the new member\'s own token; reuse and revoked codes are refused', async () => {
  await hangar(['login', '--url', up.engineUrl, '--token', up.ownerToken!]);
  const code = (await hangar(['members', 'invite', 'Bob@Example.com', '--role', 'deployer'])).out.trim();
  assert.match(code, /^hgi_[A-Za-z0-9_-]{40,}$/);
  assert.match((await hangar(['members', 'invitations'])).out, /\tbob@example\.com\tdeployer\tpending\t/);

  const bob = { HANGAR_HOME: join(dir, 'bob') };
  const joined = await hangar(['login', '--url', up.engineUrl, '--invite', code, '--name', 'Bob'], 0, bob);
  assert.match(joined.err, /Joined local as deployer/);
  const stored = JSON.parse(readFileSync(join(dir, 'bob', 'config.json'), 'utf8')) as { token: string };
  assert.match(stored.token, /^hgr_/);
  assert.match((await hangar(['whoami'], 0, bob)).out, /^bob@example\.com \(Bob\) in local .* as deployer$/m);
  const reused = await hangar(['login', '--url', up.engineUrl, '--invite', code], 1, { HANGAR_HOME: join(dir, 'eve') });
  assert.match(reused.err, /INVITATION_USED/);

  assert.match((await hangar(['members', 'list'])).out, /\tbob@example\.com\tdeployer\tBob$/m);
  await hangar(['members', 'role', 'bob@example.com', 'viewer']);
  assert.match((await hangar(['members', 'list'])).out, /\tbob@example\.com\tviewer\t/m);

  const carol = (await hangar(['members', 'invite', 'carol@example.com', '--role', 'viewer', '--json'])).out;
  const inv = JSON.parse(carol) as { invitation: { id: string }; code: string };
  await hangar(['members', 'revoke-invite', inv.invitation.id]);
  const revoked = await hangar(['login', '--url', up.engineUrl, '--invite', inv.code], 1, { HANGAR_HOME: join(dir, 'carol') });
  assert.match(revoked.err, /INVITATION_REVOKED/);
  assert.doesNotMatch((await hangar(['members', 'invitations'])).out, /carol/);

  await hangar(['members', 'remove', 'bob@example.com']);
  assert.doesNotMatch((await hangar(['members', 'list'])).out, /bob@example\.com/);
  assert.match((await hangar(['whoami'], 1, bob)).err, /AUTH_REQUIRED/);
});

test('ci-trust: a CI job with only its OIDC token deploys its app and stage, and nothing else', async () => {
  await hangar(['login', '--url', up.engineUrl, '--token', up.ownerToken!]);
  await hangar(['ci-trust', 'create', 'hello-prod', '--issuer', issuer.url, '--audience', up.engineUrl, '--subject', SUB,
    '--claim', 'repository_owner=acme', '--role', 'deployer', '--app', 'hello-http', '--stage', 'prod']);
  assert.match((await hangar(['ci-trust', 'list'])).out, /\thello-prod\thello-http\/prod\tdeployer\t.*sub=repo:acme\/hello:ref:refs\/heads\/main repository_owner=acme$/m);

  const ci = (extra: Record<string, string>) => ({ HANGAR_HOME: join(dir, 'ci-home'), HANGAR_URL: up.engineUrl, HANGAR_ORG: 'local', ...extra });
  const token = await issuer.sign({ aud: up.engineUrl, sub: SUB, repository_owner: 'acme' });
  const deployed = await hangar(['deploy', '--json'], 0, ci({ HANGAR_OIDC_TOKEN: token, HANGAR_STAGE: 'prod' }));
  const result = JSON.parse(deployed.out) as { status: string; outputs: { url: string } };
  assert.equal(result.status, 'succeeded', deployed.out);
  assert.equal((await fetch(result.outputs.url)).status, 200);

  const dev = await hangar(['deploy'], 1, ci({ HANGAR_OIDC_TOKEN: token, HANGAR_STAGE: 'dev' }));
  assert.match(dev.err, /CI_SCOPE_FORBIDDEN/);
  const providers = await hangar(['providers', 'list'], 1, ci({ HANGAR_OIDC_TOKEN: token }));
  assert.match(providers.err, /CI_SCOPE_FORBIDDEN/);
  const wrongSub = await hangar(['deploy'], 1, ci({ HANGAR_OIDC_TOKEN: await issuer.sign({ aud: up.engineUrl, sub: 'repo:evil/hello:ref:refs/heads/main', repository_owner: 'acme' }), HANGAR_STAGE: 'prod' }));
  assert.match(wrongSub.err, /CI_TRUST_NO_MATCH/);

  // The GitHub Actions way: the CLI requests the token with &audience=<engine URL>.
  const gh = issuer.github({ sub: SUB, repository_owner: 'acme' });
  const viaGithub = await hangar(['deploy', '--json'], 0, ci({ ACTIONS_ID_TOKEN_REQUEST_URL: gh.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: gh.requestToken, HANGAR_STAGE: 'prod' }));
  // The same source and inputs as the deploy above: unchanged, so it ends `skipped` without a cloud call.
  assert.equal((JSON.parse(viaGithub.out) as { status: string }).status, 'skipped');
  assert.deepEqual(gh.audiences, [up.engineUrl]);
  const noOrg = await hangar(['deploy'], 1, { HANGAR_HOME: join(dir, 'ci-home'), HANGAR_URL: up.engineUrl, HANGAR_OIDC_TOKEN: token });
  assert.match(noOrg.err, /HANGAR_ORG is not set.*CLI_OIDC_TOKEN_UNAVAILABLE/s);

  await hangar(['ci-trust', 'delete', 'hello-prod']);
  const gone = await hangar(['deploy'], 1, ci({ HANGAR_OIDC_TOKEN: token, HANGAR_STAGE: 'prod' }));
  assert.match(gone.err, /CI_TRUST_NO_MATCH/);
});
