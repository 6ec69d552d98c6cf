/**
 * The dashboard in headless Chromium against a real engine and the real local cloud: sign in, add
 * and verify providers through the page, link one, watch a deployment live, read the audit log,
 * tokens, a viewer's read-only view and another org's URL. Screenshots land in
 * $HANGAR_TEST_OUTPUT/screenshots (default test-output/screenshots).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { browserSkipReason, ENGINE_ACCOUNT, shot, signIn, startWorld, WORKLOAD_ACCOUNT, type World } from './fixture.js';
import { assertNoOverflow, WIDTHS } from './layout.js';

interface Seed {
  orgId: string;
  ownerToken: string;
  viewerToken: string;
  otherOrgId: string;
  otherProviderId: string;
  secondOrgId: string;
  /** Alice's token in initech, where she is a viewer. */
  secondToken: string;
}

describe('dashboard in a real browser', { skip: browserSkipReason(), concurrency: false }, () => {
  let world: World;
  let seed: Seed;
  let page: Page;

  before(async () => {
    world = await startWorld();
    const boot = world.engine.engine.bootstrap;
    const acme = await boot.createOrg({ name: 'acme', owner: { email: 'alice@example.com', name: 'Alice Martin' } });
    const viewer = await boot.createUser({ email: 'victor@example.com', name: 'Victor Viewer' });
    await boot.addMember(acme.org.id, viewer.id, 'viewer');
    const viewerToken = await boot.createToken(acme.org.id, viewer.id, 'victor-laptop');
    const other = await boot.createOrg({ name: 'globex', owner: { email: 'bob@globex.example', name: 'Bob' } });
    const res = await fetch(`${world.url}/api/v1/orgs/${other.org.id}/providers`, {
      method: 'POST', headers: { authorization: `Bearer ${other.token.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'globex-secret-prod' }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const otherProvider = (await res.json()) as { id: string };
    // Alice also belongs to a second org, as a viewer. Tokens are bound to one org, and so is a
    // session: initech opens only once she signs in with an initech token too.
    const second = await boot.createOrg({ name: 'initech', owner: { email: 'peter@initech.example' } });
    await boot.addMember(second.org.id, acme.user.id, 'viewer');
    const secondToken = await boot.createToken(second.org.id, acme.user.id, 'alice-initech');
    seed = {
      orgId: acme.org.id, ownerToken: acme.token.token, viewerToken: viewerToken.token, otherOrgId: other.org.id, otherProviderId: otherProvider.id,
      secondOrgId: second.org.id, secondToken: secondToken.token,
    };
    page = await world.newPage();
  });
  after(async () => { await world?.close(); });

  /** A project folder with hangar.yml for app/name (http-function, src ./src) and these files; deploy() runs the CLI's deploy. */
  function writeProject(app: string, name: string, files: Record<string, string>) {
    const base = mkdtempSync(join(tmpdir(), 'hangar-dash-project-'));
    const dir = join(base, 'project');
    const write = (p: string, text: string) => { mkdirSync(join(dir, p, '..'), { recursive: true }); writeFileSync(join(dir, p), text); };
    write('hangar.yml', `component: http-function\nname: ${name}\napp: ${app}\nstage: dev\ninputs:\n  src: ./src\n  handler: index.handler\n`);
    for (const [p, text] of Object.entries(files)) write(p, text);
    return {
      async deploy(): Promise<{ code: number; text: string }> {
        const { deploy } = await import('@hangar/cli');
        const out = { text: '', write(s: string) { this.text += s; return true; } };
        const code = await deploy({ cwd: dir, env: { HANGAR_URL: world.url, HANGAR_TOKEN: seed.ownerToken, HANGAR_HOME: join(base, 'home') }, stdout: out, stderr: out }, {});
        return { code, text: out.text };
      },
      remove() { rmSync(base, { recursive: true, force: true }); },
    };
  }

  async function instanceByName(name: string): Promise<{ id: string; outputs: Record<string, unknown> }> {
    const res = await fetch(`${world.url}/api/v1/orgs/${seed.orgId}/instances`, { headers: { authorization: `Bearer ${seed.ownerToken}` } });
    const found = ((await res.json()) as { instances: { id: string; name: string; outputs: Record<string, unknown> }[] }).instances.find((i) => i.name === name);
    assert.ok(found, `instance ${name}`);
    return found;
  }

  test('sign in with an API token: a wrong one says why, a right one opens the instances page', async () => {
    await page.goto('/');
    await shot(page, '01-sign-in');
    await page.getByLabel('API token').fill('hgr_this-is-not-a-real-token-0000000000000000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not valid' }).waitFor();
    await shot(page, '01-sign-in-error');
    await signIn(page, seed.ownerToken);
    await page.getByRole('heading', { name: 'Instances' }).waitFor();
    assert.match(page.url(), new RegExp(`/orgs/${seed.orgId}/instances$`));
    await page.getByText('Nothing deployed yet').waitFor();
    // The token is not kept by the page: the session is an httpOnly cookie.
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'hangar_session');
    assert.ok(session, 'a session cookie is set');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(await page.evaluate(() => document.cookie), '');
    await shot(page, '02-instances-empty');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Providers' }).click();
    await page.getByRole('heading', { name: 'No providers yet' }).waitFor();
    await shot(page, '03-providers-empty');
  });

  test('add an AWS provider step by step, create its role from the trust policy shown, verify it and link it', async () => {
    await page.goto(`/orgs/${seed.orgId}/providers`);
    await page.getByRole('link', { name: 'Add AWS provider' }).click();
    await page.getByLabel('Provider name').fill('production');
    await shot(page, '04-provider-new-name');
    await page.getByRole('button', { name: /Create and show the role setup/ }).click();

    const externalId = (await page.getByTestId('external-id').textContent())!;
    assert.ok(externalId.length >= 32, `external id ${externalId}`);
    assert.equal(await page.getByTestId('engine-principal').textContent(), `arn:aws:iam::${ENGINE_ACCOUNT}:user/hangar-engine`);
    const policyText = (await page.getByLabel('Trust policy', { exact: true }).textContent())!;
    const policy = JSON.parse(policyText) as { Statement: { Condition: { StringEquals: Record<string, string> } }[] };
    assert.equal(policy.Statement[0]!.Condition.StringEquals['sts:ExternalId'], externalId);
    await page.getByRole('button', { name: 'Copy trust policy' }).click();
    await page.getByRole('button', { name: 'Copied trust policy' }).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CloudFormation template' }).click()]);
    const template = JSON.parse(readFileSync((await download.path())!, 'utf8')) as { Resources: { HangarDeployerRole: { Properties: { AssumeRolePolicyDocument: unknown } } } };
    assert.deepEqual(template.Resources.HangarDeployerRole.Properties.AssumeRolePolicyDocument, policy);
    assert.equal(download.suggestedFilename(), 'hangar-production.cfn.json');
    await shot(page, '05-provider-new-role-setup');

    // What the person does in their account: create the role with exactly that trust policy.
    const roleArn = await world.createRole('hangar-production', policy);
    assert.equal(roleArn, `arn:aws:iam::${WORKLOAD_ACCOUNT}:role/hangar-production`);
    await page.getByRole('button', { name: /I have created the role/ }).click();
    await page.getByLabel('Role ARN').fill(roleArn);
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await page.getByText('Verified', { exact: true }).waitFor({ timeout: 20_000 });
    const checks = page.locator('[data-check]');
    assert.ok((await checks.count()) >= 4);
    for (const id of ['assume-with-external-id', 'refused-without-external-id', 'refused-with-wrong-external-id', 'caller-identity-account']) {
      assert.equal(await page.locator(`[data-check="${id}"]`).getAttribute('data-passed'), 'true', id);
    }
    await shot(page, '06-provider-new-verified');

    await page.getByRole('button', { name: 'Next: link it' }).click();
    await page.getByLabel(/Organisation default/).check();
    await page.getByRole('button', { name: 'Link provider' }).click();
    await page.getByText('Linked', { exact: true }).waitFor();
    await page.getByRole('list', { name: 'Links' }).getByText('Organisation default').waitFor();
    // A more specific link too: one app and stage.
    await page.getByLabel(/An app and a stage/).check();
    await page.getByLabel('App', { exact: true }).fill('shop');
    await page.getByLabel('Stage', { exact: true }).fill('prod');
    await page.getByRole('button', { name: 'Link provider' }).click();
    await page.getByRole('list', { name: 'Links' }).getByText('App shop · stage prod').waitFor();
    await shot(page, '07-provider-new-linked');

    await page.getByRole('link', { name: /Done/ }).click();
    await page.getByRole('heading', { name: /production/ }).waitFor();
    await shot(page, '08-provider-page');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Providers' }).click();
    await page.getByRole('table', { name: 'Providers' }).getByText('Organisation default').waitFor();
    await shot(page, '09-providers-list');
  });

  test('a role that does not require the external ID is refused, and the page shows which check failed and the fix', async () => {
    await page.goto(`/orgs/${seed.orgId}/providers/new`);
    await page.getByLabel('Provider name').fill('open-role');
    await page.getByRole('button', { name: /Create and show the role setup/ }).click();
    const principal = (await page.getByTestId('engine-principal').textContent())!;
    // The confused-deputy mistake: trusting the engine without the external ID condition.
    const roleArn = await world.createRole('hangar-open', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: principal }, Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'] }],
    });
    await page.getByRole('button', { name: /I have created the role/ }).click();
    await page.getByLabel('Role ARN').fill(roleArn);
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await page.getByText(/Not usable \(PROVIDER_EXTERNAL_ID_NOT_ENFORCED\)/).waitFor({ timeout: 20_000 });
    const failed = page.locator('[data-check="refused-without-external-id"]');
    assert.equal(await failed.getAttribute('data-passed'), 'false');
    assert.match((await failed.textContent())!, /How to fix:.*sts:ExternalId/s);
    assert.equal(await page.getByRole('button', { name: 'Next: link it' }).isDisabled(), true);
    await shot(page, '10-provider-verify-failed');
  });

  test('linking an unverified provider warns; its role, region and account can be changed on its page, which is audited and leaves it unverified', async () => {
    await page.goto(`/orgs/${seed.orgId}/providers`);
    await page.getByRole('link', { name: 'open-role' }).click();
    await page.getByRole('heading', { name: 'Role, region and account' }).waitFor();
    await page.getByLabel(/Every stage of one app/).check();
    await page.getByLabel('App', { exact: true }).fill('legacy');
    await page.getByRole('button', { name: 'Link provider' }).click();
    const warning = page.getByRole('status').filter({ hasText: 'Linked, but not verified yet' });
    await warning.waitFor();
    assert.match((await warning.textContent())!, /deployments that use this link are refused \(PROVIDER_NOT_VERIFIED\) until `hangar providers verify open-role` succeeds/);
    await shot(page, '10b-provider-link-unverified-warning');

    const form = page.getByRole('form', { name: 'Edit provider' });
    assert.equal(await form.getByRole('button', { name: 'Save changes' }).isDisabled(), true, 'nothing changed yet');
    assert.equal(await form.getByLabel('AWS account ID').inputValue(), WORKLOAD_ACCOUNT);
    await form.getByLabel('AWS account ID').fill('999999999999');
    await form.getByLabel('Region').fill('eu-west-1');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Region, AWS account ID changed' }).waitFor();
    await page.locator('dd', { hasText: '999999999999' }).waitFor();
    await page.getByRole('heading', { name: /open-role/ }).locator('[data-status="unverified"]').waitFor();
    await shot(page, '10c-provider-edited');
    const audit = await page.evaluate(async (orgId) => (await (await fetch(`/api/v1/orgs/${orgId}/audit?kind=provider.updated`)).json()) as { events: { data: { changed: string[]; status: string } }[] }, seed.orgId);
    assert.deepEqual(audit.events[0]?.data.changed.sort(), ['accountId', 'region']);
    assert.equal(audit.events[0]?.data.status, 'pending');
    // A bad value is refused by the engine with the field named, and nothing changes.
    await form.getByLabel('AWS account ID').fill('12');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('alert').filter({ hasText: 'body.accountId: expected a 12-digit AWS account id' }).waitFor();
  });

  test('a deployment started from the CLI appears on the open instance page and finishes there, live', async () => {
    const { deploy } = await import('@hangar/cli');
    const base = mkdtempSync(join(tmpdir(), 'hangar-dash-project-'));
    const dir = join(base, 'project');
    const write = (p: string, text: string) => { mkdirSync(join(dir, p, '..'), { recursive: true }); writeFileSync(join(dir, p), text); };
    write('hangar.yml', 'component: http-function\nname: api\napp: shop\nstage: dev\ninputs:\n  src: ./src\n  handler: index.handler\n');
    write('src/index.mjs', 'export const handler = async () => ({ statusCode: 200, body: "v1" });\n');
    const out = { text: '', write(s: string) { this.text += s; return true; } };
    const ctx = () => ({ cwd: dir, env: { HANGAR_URL: world.url, HANGAR_TOKEN: seed.ownerToken, HANGAR_HOME: join(base, 'home') }, stdout: out, stderr: out });
    try {
      assert.equal(await deploy(ctx(), {}), 0, out.text);

      await page.goto(`/orgs/${seed.orgId}/instances`);
      const row = page.locator('tr[data-instance="api"]');
      await row.waitFor();
      const url = (await row.getByRole('link', { name: /^http/ }).textContent())!;
      assert.match(url, /^http/);
      await shot(page, '11-instances');
      await row.getByRole('link', { name: 'api', exact: true }).click();
      await page.getByRole('heading', { name: /api/ }).waitFor();
      assert.equal(await page.locator('tr[data-deployment]').count(), 1);
      // Mark this page: a reload would lose the mark.
      await page.evaluate(() => { (window as unknown as { __noReload: boolean }).__noReload = true; });
      const streams = await page.evaluate(() => performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/events')).length);

      write('src/index.mjs', 'export const handler = async () => ({ statusCode: 200, body: "v2" });\n');
      // As slow as AWS is, so the deployment is still running when the page notices it.
      world.setLambdaLatency(2500);
      const second = deploy(ctx(), {}).finally(() => world.setLambdaLatency(0));
      await page.locator('tr[data-deployment]').nth(1).waitFor({ timeout: 20_000 });
      await page.getByTestId('live-badge').waitFor({ timeout: 20_000 });
      await page.locator('tr[data-deployment]').first().locator('[data-status="running"]').waitFor();
      await page.getByTestId('deployment-log').locator('.log-line').first().waitFor({ timeout: 20_000 });
      await shot(page, '12-instance-live-running');
      assert.equal(await second, 0, out.text);
      const newest = page.locator('tr[data-deployment]').first();
      await newest.locator('[data-status="succeeded"]').waitFor({ timeout: 20_000 });
      await page.getByTestId('deployment-log').locator('.log-line').first().waitFor();
      assert.equal(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload), true, 'the page was not reloaded');
      const depId = await newest.getAttribute('data-deployment');
      assert.match((await page.getByRole('heading', { name: /Log of/ }).textContent())!, new RegExp(depId!));
      assert.match((await newest.textContent())!, /hangar-production/);
      const streamsAfter = await page.evaluate(() => performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/events')).length);
      assert.ok(streamsAfter > streams, 'the running deployment was followed over its event stream');
      await shot(page, '12-instance-live-finished');
      assert.equal(await page.getByTestId('live-badge').count(), 0, 'the stream ended with the deployment');

      // Any older deployment's log can be opened too.
      await page.locator('tr[data-deployment]').nth(1).getByRole('link').click();
      await page.getByTestId('deployment-log').locator('.log-line').first().waitFor();
      await shot(page, '13-instance-older-log');
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  test('the audit log shows the credential issuance (provider, role, session name, source identity, expiry) and a verified chain', async () => {
    await page.goto(`/orgs/${seed.orgId}/audit`);
    await page.getByTestId('chain-badge').filter({ hasText: 'Hash chain verified' }).waitFor();
    await shot(page, '14-audit');
    await page.getByLabel('Kind').selectOption('credentials.issued');
    await page.waitForURL(/kind=credentials\.issued/);
    await page.waitForFunction(() => document.querySelectorAll('tr[data-kind]').length > 0 && document.querySelectorAll('tr[data-kind]:not([data-kind="credentials.issued"])').length === 0);
    const row = page.locator('tr[data-kind="credentials.issued"]').first();
    await row.waitFor();
    const text = (await row.textContent())!;
    assert.match(text, /production/);
    assert.match(text, new RegExp(`arn:aws:iam::${WORKLOAD_ACCOUNT}:role/hangar-production`));
    assert.match(text, /Session name\s*hangar-dep_/);
    assert.match(text, /Source identity\s*token[:_]owner/);
    assert.match(text, /Expires/);
    assert.equal(await page.locator('tr[data-kind]:not([data-kind="credentials.issued"])').count(), 0);
    await shot(page, '15-audit-credentials');
    // Everything about that deployment: started, credentials requested then issued, finished.
    const subject = (await row.locator('.subject-btn').textContent())!;
    assert.match(subject, /^deployment:dep_/);
    await page.getByLabel('Kind').selectOption('');
    await page.waitForURL((u) => !u.search.includes('kind='));
    await row.locator('.subject-btn').click();
    await page.waitForURL(/subject=deployment/);
    await page.waitForFunction((sub) => Array.from(document.querySelectorAll('tr[data-kind] .subject-btn')).every((b) => b.textContent === sub), subject);
    await page.locator('tr[data-kind="deployment.finished"]').waitFor();
    assert.deepEqual((await page.locator('tr[data-kind]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-kind')))).sort(), ['credentials.issued', 'credentials.requested', 'deployment.finished', 'deployment.started']);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByLabel('Actor').fill('user:alice@example.com');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForFunction(() => Array.from(document.querySelectorAll('tr[data-kind] [data-actor]')).every((td) => td.textContent === 'user:alice@example.com'));
    await page.locator('tr[data-kind="provider.linked"]').first().waitFor();
    const actors = await page.locator('tr[data-kind] [data-actor]').allTextContents();
    assert.ok(actors.length > 0 && actors.every((a) => a === 'user:alice@example.com'), actors.join(','));
  });

  test('tokens: a new token is shown once with a copy button, listed, and can be revoked', async () => {
    await page.goto(`/orgs/${seed.orgId}/tokens`);
    await page.getByLabel('Token name').fill('ci-deploy');
    await page.getByRole('button', { name: 'Create token' }).click();
    const token = (await page.getByTestId('new-token').textContent())!;
    assert.match(token, /^hgr_/);
    await page.getByRole('button', { name: 'Copy the new token' }).waitFor();
    await shot(page, '16-tokens-created');
    const who = await fetch(`${world.url}/api/v1/whoami`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(who.status, 200);
    await page.reload();
    await page.getByRole('cell', { name: 'ci-deploy', exact: true }).waitFor();
    assert.equal(await page.getByText(token).count(), 0, 'the token is shown only once');
    page.once('dialog', (d) => { void d.accept(); });
    await page.getByRole('button', { name: 'Revoke token ci-deploy' }).click();
    await page.locator('tr', { hasText: 'ci-deploy' }).locator('[data-status="revoked"]').waitFor();
    assert.equal((await fetch(`${world.url}/api/v1/whoami`, { headers: { authorization: `Bearer ${token}` } })).status, 401);
    await shot(page, '17-tokens');
  });

  test('a viewer sees everything but no button that changes anything, and the API refuses them anyway', async () => {
    const viewer = await world.newPage();
    try {
      await signIn(viewer, seed.viewerToken);
      const changeButtons = /Add AWS provider|^Verify$|Link provider|Unlink|Delete provider|Create token|Revoke|Create and show|Save changes/;
      const loaded: Record<string, string> = {
        instances: 'tr[data-instance="api"]', providers: 'table[aria-label="Providers"] tbody tr', audit: '[data-testid="chain-badge"]', tokens: 'table tbody tr',
      };
      for (const [path, ready] of Object.entries(loaded)) {
        await viewer.goto(`/orgs/${seed.orgId}/${path}`);
        await viewer.locator(ready).first().waitFor();
        assert.equal(await viewer.getByRole('button', { name: changeButtons }).count(), 0, path);
        assert.equal(await viewer.getByRole('link', { name: changeButtons }).count(), 0, path);
        await shot(viewer, `18-viewer-${path}`);
      }
      await viewer.goto(`/orgs/${seed.orgId}/providers`);
      await viewer.getByRole('link', { name: 'production' }).click();
      await viewer.getByRole('heading', { name: 'Verification' }).waitFor();
      await viewer.locator('[data-check]').first().waitFor();
      assert.equal(await viewer.getByRole('button', { name: changeButtons }).count(), 0);
      assert.equal(await viewer.getByLabel('Role ARN').count(), 0);
      assert.equal(await viewer.getByLabel('AWS account ID').count(), 0);
      await viewer.getByText('Organisation default').first().waitFor();
      await shot(viewer, '19-viewer-provider');
      const refused = await viewer.evaluate(async (orgId) => {
        const s = await (await fetch('/api/v1/session')).json() as { csrfToken: string };
        const r = await fetch(`/api/v1/orgs/${orgId}/providers`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrfToken }, body: JSON.stringify({ name: 'sneaky' }) });
        return { status: r.status, body: await r.json() as { code: string } };
      }, seed.orgId);
      assert.deepEqual([refused.status, refused.body.code], [403, 'AUTH_FORBIDDEN']);
    } finally {
      await viewer.context().close();
    }
  });

  test('another org\'s URL shows "Not found" and never its data; a token of my other org adds it to the switcher', async () => {
    const asked: string[] = [];
    page.on('request', (r) => { if (r.url().includes(seed.otherOrgId)) asked.push(r.url()); });
    await page.goto(`/orgs/${seed.otherOrgId}/providers/${seed.otherProviderId}`);
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    assert.equal(await page.getByText('globex-secret-prod').count(), 0);
    assert.equal(await page.getByText('globex').count(), 0);
    assert.deepEqual(asked.filter((u) => u.includes('/api/')), [], 'the page never asked the API for the other org');
    await shot(page, '20-cross-org-not-found');
    // Even asked directly, the API says not found.
    const direct = await page.evaluate(async (u) => (await fetch(u)).status, `/api/v1/orgs/${seed.otherOrgId}/providers/${seed.otherProviderId}`);
    assert.equal(direct, 404);

    // An org she belongs to, but her session was opened with an acme token: still not found.
    await page.goto(`/orgs/${seed.secondOrgId}/instances`);
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    await page.getByRole('link', { name: '+ Add an organisation' }).click();
    await page.getByLabel('API token').fill(seed.secondToken);
    await shot(page, '21-add-organisation');
    await page.getByRole('button', { name: 'Add organisation' }).click();
    await page.waitForURL(new RegExp(`/orgs/${seed.secondOrgId}/instances$`));
    await page.getByText('Nothing deployed yet').waitFor();

    const switcher = page.getByLabel('Organisation');
    await page.goto(`/orgs/${seed.orgId}/providers`);
    await page.getByRole('table', { name: 'Providers' }).waitFor();
    assert.deepEqual(await switcher.locator('option').allTextContents(), ['acme', 'initech']);
    await switcher.selectOption({ label: 'initech' });
    await page.waitForURL(new RegExp(`/orgs/${seed.secondOrgId}/providers$`));
    await page.getByRole('heading', { name: 'No providers yet' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Add AWS provider' }).count(), 0, 'a viewer in initech');
    await shot(page, '22-org-switcher');
  });

  test('add a web-identity (OIDC) provider in the wizard: it shows the issuer, the audience and the trust policy to paste, and verifies', async () => {
    await page.goto(`/orgs/${seed.orgId}/providers/new`);
    await page.getByLabel(/Web identity \(OIDC\)/).check();
    await page.getByLabel('Provider name').fill('oidc-prod');
    await page.getByLabel('AWS account ID').fill(WORKLOAD_ACCOUNT);
    await shot(page, '23-provider-new-oidc-name');
    await page.getByRole('button', { name: /Create and show the role setup/ }).click();

    const issuer = (await page.getByTestId('oidc-issuer').textContent())!;
    const audience = (await page.getByTestId('oidc-audience').textContent())!;
    const providerArn = (await page.getByTestId('oidc-provider-arn').textContent())!;
    assert.equal(new URL(issuer).host, new URL(world.url).host, 'the engine is the issuer');
    assert.equal(providerArn, `arn:aws:iam::${WORKLOAD_ACCOUNT}:oidc-provider/${new URL(issuer).host}`);
    assert.equal(await page.getByTestId('oidc-subject').textContent(), `org:${seed.orgId}:app:*`);
    assert.equal(await page.getByTestId('external-id').count(), 0, 'no external ID for a web-identity provider');
    const policy = JSON.parse((await page.getByLabel('Trust policy', { exact: true }).textContent())!) as { Statement: { Principal: unknown; Action: unknown }[] };
    assert.deepEqual(policy.Statement[0]!.Principal, { Federated: providerArn });
    // The engine's issuer is plain http on loopback: fine for the local cloud, and the page says real AWS would refuse it.
    await page.getByRole('status').filter({ hasText: 'Works here, not with real AWS' }).waitFor();
    await shot(page, '24-provider-new-oidc-setup');

    // What the person does in their account: the IAM OIDC provider for the issuer, and the role with that trust policy.
    await world.createOidcProvider(issuer, [audience]);
    const roleArn = await world.createRole('hangar-oidc-prod', policy);
    await page.getByRole('button', { name: /I have created the role/ }).click();
    await page.getByLabel('Role ARN').fill(roleArn);
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await page.getByText('Verified', { exact: true }).waitFor({ timeout: 20_000 });
    for (const id of ['web-identity-assume', 'web-identity-refused-for-other-org', 'caller-identity-account']) {
      assert.equal(await page.locator(`[data-check="${id}"]`).getAttribute('data-passed'), 'true', id);
    }
    await shot(page, '25-provider-new-oidc-verified');
    await page.goto(`/orgs/${seed.orgId}/providers`);
    const row = page.locator('tr', { hasText: 'oidc-prod' });
    await row.locator('[data-status="verified"]').waitFor();
    assert.match((await row.textContent())!, /web-identity/);
  });

  test('a failed deployment shows its error code, the message and how to fix it, on the instance page and in the list', async () => {
    // A provider whose role has no permissions: the deployment's first AWS call is refused.
    const auth = { authorization: `Bearer ${seed.ownerToken}`, 'content-type': 'application/json' };
    const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${world.url}/api/v1/orgs/${seed.orgId}${path}`, { method, headers: auth, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      assert.ok(res.ok, `${method} ${path}: ${res.status} ${await res.clone().text()}`);
      return (await res.json()) as T;
    };
    const p = await api<{ id: string; setup: { trustPolicy: unknown } }>('POST', '/providers', { name: 'no-permissions' });
    const roleArn = await world.createRole('hangar-no-permissions', p.setup.trustPolicy, { permissions: false });
    assert.equal((await api<{ status: string }>('POST', `/providers/${p.id}/verify`, { roleArn })).status, 'verified');
    await api('POST', `/providers/${p.id}/links`, { scope: 'app', app: 'broken' });

    const project = writeProject('broken', 'web', { 'src/index.mjs': 'export const handler = async () => ({ statusCode: 200, body: "never" });\n' });
    try {
      const out = await project.deploy();
      assert.notEqual(out.code, 0, 'the deployment fails');
      assert.match(out.text, /COMPONENT_AWS_ACCESS_DENIED|AccessDenied/);
    } finally { project.remove(); }

    await page.goto(`/orgs/${seed.orgId}/instances`);
    const row = page.locator('tr[data-instance="web"]');
    await row.locator('[data-status="failed"]').first().waitFor();
    assert.match((await row.textContent())!, /COMPONENT_AWS_ACCESS_DENIED/, 'the list names what went wrong');
    await shot(page, '26-instances-failed');
    await row.getByRole('link', { name: 'web', exact: true }).click();
    const banner = page.getByTestId('deployment-error');
    await banner.waitFor();
    const text = (await banner.textContent())!;
    assert.match(text, /COMPONENT_AWS_ACCESS_DENIED/);
    assert.match(text, /AccessDenied/);
    const fix = (await page.getByTestId('deployment-error-fix').textContent())!;
    assert.match(fix, /How to fix/);
    assert.match(fix, /Add the IAM action named in the message to the provider role's permissions policy/, 'the fix is the one docs/errors.md gives');
    assert.match((await page.locator('tr[data-deployment]').first().textContent())!, /COMPONENT_AWS_ACCESS_DENIED/);
    await shot(page, '26-instance-failed-deployment');
  });

  test('the instance page shows the function\'s health and its live log: a logged line, and a thrown error highlighted with its request id', async () => {
    const project = writeProject('ops', 'fn', {
      'src/index.mjs': [
        'export const handler = async (event) => {',
        '  const path = event.rawPath ?? "/";',
        '  if (path.endsWith("/boom")) throw new Error("boom");',
        '  console.log(`dashboard-marker ${path}`);',
        '  return { statusCode: 200, body: "ok" };',
        '};',
        '',
      ].join('\n'),
    });
    try {
      const out = await project.deploy();
      assert.equal(out.code, 0, out.text);
    } finally { project.remove(); }
    const instance = await instanceByName('fn');
    const url = String(instance.outputs.url);
    assert.equal((await fetch(new URL('hello', url))).status, 200);

    await page.goto(`/orgs/${seed.orgId}/instances/${instance.id}`);
    const log = page.getByTestId('function-log');
    await log.locator('.fn-line', { hasText: 'dashboard-marker' }).first().waitFor({ timeout: 20_000 });
    await page.getByTestId('function-log-live').waitFor();
    // A request made while the page is open appears live, and its error is highlighted.
    assert.ok((await fetch(new URL('boom', url))).status >= 500);
    const errorLine = log.locator('.fn-line.kind-error', { hasText: 'boom' }).first();
    await errorLine.waitFor({ timeout: 20_000 });
    const highlighted = await errorLine.evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.notEqual(highlighted, 'rgba(0, 0, 0, 0)', 'the error line has its own background');
    const requestId = await errorLine.getAttribute('data-request-id');
    assert.ok(requestId, 'the error line carries its request id');

    const health = page.getByTestId('function-health');
    await health.getByTestId('last-error').waitFor({ timeout: 20_000 });
    await page.waitForFunction(() => Number(document.querySelector('[data-stat="errors"] dd')?.firstChild?.textContent ?? '0') >= 1);
    assert.equal(await health.getByTestId('last-error-request-id').textContent(), requestId);
    assert.match((await health.getByTestId('last-error').textContent())!, /boom/);
    // Both requests' REPORT lines count (the second may land after its error line: the summary refreshes).
    await page.waitForFunction(() => Number(document.querySelector('[data-stat="invocations"] dd')?.firstChild?.textContent ?? '0') >= 2, undefined, { timeout: 20_000 });
    await shot(page, '27-instance-function-log');

    // A line's request id narrows the view to that invocation (START, the error, END, REPORT).
    await errorLine.getByRole('button', { name: `Show only the lines of request ${requestId}` }).click();
    assert.equal(await page.getByLabel('Filter', { exact: true }).inputValue(), `"${requestId}"`);
    await page.waitForFunction((id) => {
      const lines = Array.from(document.querySelectorAll('[data-testid="function-log"] .fn-line'));
      return lines.length >= 2 && lines.every((l) => l.getAttribute('data-request-id') === id || l.textContent?.includes(id));
    }, requestId);
    await log.locator('.fn-line.kind-error').first().waitFor();
    assert.equal(await log.locator('.fn-line', { hasText: 'dashboard-marker' }).count(), 0);

    // The filter and the since selector restart the stream with the engine's filtering.
    await page.getByLabel('Filter', { exact: true }).fill('"dashboard-marker"');
    await page.getByRole('button', { name: 'Apply' }).click();
    await log.locator('.fn-line', { hasText: 'dashboard-marker' }).first().waitFor();
    await page.waitForFunction(() => Array.from(document.querySelectorAll('[data-testid="function-log"] .fn-line')).every((l) => l.textContent?.includes('dashboard-marker')));
    await page.getByLabel('Since', { exact: true }).selectOption('5m');
    await log.locator('.fn-line', { hasText: 'dashboard-marker' }).first().waitFor();
    await shot(page, '28-instance-function-log-filtered');
  });

  test('every page fits the screen at 1280 and 390 px: nothing wider than the viewport outside a scroll container', async () => {
    const api = instanceByName('api');
    const [apiInstance, web, fn] = await Promise.all([api, instanceByName('web'), instanceByName('fn')]);
    const providers = await (await fetch(`${world.url}/api/v1/orgs/${seed.orgId}/providers`, { headers: { authorization: `Bearer ${seed.ownerToken}` } })).json() as { providers: { id: string; name: string }[] };
    const production = providers.providers.find((p) => p.name === 'production')!;
    const o = `/orgs/${seed.orgId}`;
    const pages: [name: string, path: string, ready: string][] = [
      ['instances', `${o}/instances`, 'tr[data-instance="api"]'],
      ['instance', `${o}/instances/${apiInstance.id}`, 'tr[data-deployment]'],
      ['instance-function', `${o}/instances/${fn.id}`, '[data-testid="function-health"]'],
      ['instance-failed', `${o}/instances/${web.id}`, '[data-testid="deployment-error"]'],
      ['providers', `${o}/providers`, 'table[aria-label="Providers"] tbody tr'],
      ['provider', `${o}/providers/${production.id}`, '[data-check]'],
      ['provider-new', `${o}/providers/new`, '#provider-name'],
      ['provider-new-setup', `${o}/providers/new?id=${production.id}&step=2`, '[aria-label="Trust policy"]'],
      ['provider-new-verify', `${o}/providers/new?id=${production.id}&step=3`, '#role-arn'],
      ['provider-new-link', `${o}/providers/new?id=${production.id}&step=4`, 'input[name="scope"]'],
      ['audit', `${o}/audit`, '[data-testid="chain-badge"]'],
      ['tokens', `${o}/tokens`, 'table tbody tr'],
      ['add-org', '/add-org', '#add-org-token'],
      ['not-found', `${o}/no-such-page`, 'h1, h3'],
    ];
    const problems: string[] = [];
    const signedOut = await world.newPage();
    try {
      for (const width of [WIDTHS.desktop, WIDTHS.phone]) {
        await page.setViewportSize({ width, height: 900 });
        for (const [name, path, ready] of pages) {
          await page.goto(path);
          await page.locator(ready).first().waitFor();
          try { await assertNoOverflow(page, name); } catch (e) { problems.push((e as Error).message); }
          await shot(page, `30-layout-${width}-${name}`);
        }
        await signedOut.setViewportSize({ width, height: 900 });
        await signedOut.goto('/');
        await signedOut.getByLabel('API token').waitFor();
        try { await assertNoOverflow(signedOut, 'sign-in'); } catch (e) { problems.push((e as Error).message); }
        await shot(signedOut, `30-layout-${width}-sign-in`);
      }
    } finally {
      await signedOut.context().close();
      await page.setViewportSize({ width: 1360, height: 900 });
    }
    assert.deepEqual(problems, []);
  });

  test('signing out returns to the sign-in page and the old cookie no longer works; signing in works by keyboard alone', async () => {
    const cookie = (await page.context().cookies()).find((c) => c.name === 'hangar_session')!;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    const res = await fetch(`${world.url}/api/v1/session`, { headers: { cookie: `${cookie.name}=${cookie.value}` } });
    assert.equal(res.status, 401);

    // Keyboard only: the token field has focus, Enter submits, Tab reaches the navigation.
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'api-token');
    await page.keyboard.type(seed.ownerToken);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    let reached = '';
    for (let i = 0; i < 6 && reached !== 'Providers'; i++) {
      await page.keyboard.press('Tab');
      reached = (await page.evaluate(() => document.activeElement?.textContent)) ?? '';
    }
    assert.equal(reached, 'Providers');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/providers$/);
  });
});
