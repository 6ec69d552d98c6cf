/** Who the CLI is talking to, and as whom: the stored login, overridden by HANGAR_URL/TOKEN/ORG. */
import { HangarError } from '@hangar/core';
import type { CommandContext } from './context.js';
import { hangarHome, normalizeUrl, readLogin } from './config.js';
import type { ReplyOf, whoami } from '@hangar/core/api';
import { createEngineClient, type EngineClient } from './engine-client.js';

export type WhoAmI = ReplyOf<typeof whoami>;

/** GET /api/v1/whoami: the credential's user, actor and orgs. */
export function fetchWhoAmI(client: EngineClient): Promise<WhoAmI> {
  return client.call<typeof whoami>('GET', '/api/v1/whoami', {});
}

export interface Session {
  readonly home: string;
  readonly url: string;
  readonly orgId: string;
  readonly client: EngineClient;
}

export function sessionClient(ctx: CommandContext, url: string, token: string): EngineClient {
  return createEngineClient({ url, token, ...(ctx.fetch ? { fetch: ctx.fetch } : {}) });
}

/** Pick the org: the only one, or the one named by HANGAR_ORG (id or name). */
export function chooseOrg(who: WhoAmI, wanted: string | undefined): string {
  if (wanted) {
    const org = who.orgs.find((o) => o.id === wanted || o.name === wanted);
    if (!org) throw new HangarError('NOT_FOUND', `HANGAR_ORG=${wanted} is not one of your organisations (${who.orgs.map((o) => o.name).join(', ') || 'none'}).`);
    return org.id;
  }
  const [first, second] = who.orgs;
  if (!first) throw new HangarError('AUTH_FORBIDDEN', `${who.user.email} belongs to no organisation yet; ask an owner to add you.`);
  if (second) throw new HangarError('VALIDATION_FAILED', `You belong to several organisations (${who.orgs.map((o) => o.name).join(', ')}); set HANGAR_ORG to the one to use.`);
  return first.id;
}

export async function openSession(ctx: CommandContext): Promise<Session> {
  const home = hangarHome(ctx.env, ctx.cwd);
  const envUrl = ctx.env.HANGAR_URL;
  const envToken = ctx.env.HANGAR_TOKEN;
  const stored = envUrl && envToken ? undefined : readLogin(home);
  const url = envUrl ? normalizeUrl(envUrl) : stored?.url;
  // A stored token is only ever sent to the engine it was stored for.
  const token = envToken || (stored !== undefined && stored.url === url ? stored.token : undefined);
  if (url && envUrl && !envToken) {
    // CI without a long-lived token: the job's OIDC token is exchanged for a short-lived one.
    const oidc = await import('./ci-oidc.js');
    if (oidc.hasOidcToken(ctx.env)) {
      const ci = await oidc.exchangeOidcToken(ctx, url);
      return { home, url, orgId: ci.orgId, client: sessionClient(ctx, url, ci.token) };
    }
  }
  if (!url || !token) {
    throw new HangarError('CLI_NOT_LOGGED_IN', envUrl && !envToken
      ? `HANGAR_URL is set to ${envUrl} but no token is stored for it: set HANGAR_TOKEN too, or run \`hangar login --url ${envUrl}\`.`
      : 'Not logged in to an engine. Run `hangar login --url <engine> --token <token>`, or set HANGAR_URL and HANGAR_TOKEN.');
  }
  const client = sessionClient(ctx, url, token);
  const sameAsStored = stored !== undefined && stored.url === url && stored.token === token;
  const orgId = sameAsStored && !ctx.env.HANGAR_ORG
    ? stored.orgId
    : chooseOrg(await fetchWhoAmI(client), ctx.env.HANGAR_ORG);
  return { home, url, orgId, client };
}
