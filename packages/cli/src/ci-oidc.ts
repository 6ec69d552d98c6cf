/**
 * CI without a long-lived Hangar token: exchange the CI job's OIDC ID token for a short-lived
 * Hangar token scoped to one app and stage (`POST /api/v1/ci/exchange`). The ID token comes from
 * `HANGAR_OIDC_TOKEN` (GitLab `id_tokens:`, any provider), or is requested the GitHub Actions way
 * from `ACTIONS_ID_TOKEN_REQUEST_URL` with `ACTIONS_ID_TOKEN_REQUEST_TOKEN` and `&audience=`. It
 * is a Hangar-side credential: no cloud credential is read or sent.
 */
import { HangarError } from '@hangar/core';
import type { CiExchangeReply } from '@hangar/core/api';
import type { CommandContext } from './context.js';
import { createEngineClient } from './engine-client.js';
import { fromFetch, nodeTransport } from './transport.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Does this environment offer an OIDC ID token to exchange? */
export function hasOidcToken(env: Env): boolean {
  return !!env.HANGAR_OIDC_TOKEN || (!!env.ACTIONS_ID_TOKEN_REQUEST_URL && !!env.ACTIONS_ID_TOKEN_REQUEST_TOKEN);
}

function unavailable(why: string): HangarError {
  return new HangarError('CLI_OIDC_TOKEN_UNAVAILABLE', `${why} In GitHub Actions give the job \`permissions: id-token: write\`; elsewhere set HANGAR_OIDC_TOKEN (docs/ci.md).`);
}

/** The GitHub Actions way: GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=… with the request token. */
async function githubIdToken(ctx: CommandContext, audience: string): Promise<string> {
  const url = new URL(ctx.env.ACTIONS_ID_TOKEN_REQUEST_URL!);
  url.searchParams.set('audience', audience);
  const transport = ctx.fetch ? fromFetch(ctx.fetch) : nodeTransport();
  let res;
  try {
    res = await transport(url.toString(), { method: 'GET', headers: { authorization: `bearer ${ctx.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}`, accept: 'application/json' } });
  } catch (e) {
    throw unavailable(`Could not reach GitHub's OIDC token endpoint (${e instanceof Error ? e.message : String(e)}).`);
  }
  const text = await res.text();
  if (res.status !== 200) throw unavailable(`GitHub's OIDC token endpoint answered HTTP ${res.status}.`);
  try {
    const value = (JSON.parse(text) as { value?: unknown }).value;
    if (typeof value === 'string' && value) return value;
  } catch {
    // described below
  }
  throw unavailable("GitHub's OIDC token endpoint gave no token.");
}

/**
 * Exchange the job's OIDC token at the engine. `HANGAR_ORG` names the organisation (id or name);
 * `HANGAR_OIDC_AUDIENCE` the audience to request from GitHub (default: the engine URL).
 */
export async function exchangeOidcToken(ctx: CommandContext, url: string, projectOrg?: string): Promise<{ token: string; orgId: string; reply: CiExchangeReply }> {
  // The project file's `org:` names it when HANGAR_ORG does not (session.ts refuses the two differing).
  const org = ctx.env.HANGAR_ORG || projectOrg;
  if (!org) throw unavailable('HANGAR_ORG is not set (nor `org:` in the project file): it names the organisation (id or name) whose CI trust accepts this job\'s token.');
  const idToken = ctx.env.HANGAR_OIDC_TOKEN || (await githubIdToken(ctx, ctx.env.HANGAR_OIDC_AUDIENCE || url));
  const client = createEngineClient({ url, token: '', ...(ctx.fetch ? { fetch: ctx.fetch } : {}) });
  const reply = await client.json<CiExchangeReply>('POST', '/api/v1/ci/exchange', { orgId: org, token: idToken });
  return { token: reply.token, orgId: reply.orgId, reply };
}
