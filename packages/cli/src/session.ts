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

/**
 * The org named by the project file's `org:` (its id or name): it must be one the token belongs
 * to, and the same as HANGAR_ORG when both are set. Never ignored: PROJECT_ORG_UNKNOWN otherwise.
 */
export function chooseProjectOrg(who: WhoAmI, projectOrg: string, envOrg: string | undefined): string {
  const org = who.orgs.find((o) => o.id === projectOrg || o.name === projectOrg);
  if (!org) {
    throw new HangarError('PROJECT_ORG_UNKNOWN', `The project file sets org: ${projectOrg}, but ${who.user.email} belongs to no organisation with that id or name (yours: ${who.orgs.map((o) => o.name).join(', ') || 'none'}). Fix or remove \`org:\`, or log in with a token of that organisation.`, {
      details: { org: projectOrg, orgs: who.orgs.map((o) => o.name) },
    });
  }
  if (envOrg && chooseOrg(who, envOrg) !== org.id) {
    throw new HangarError('PROJECT_ORG_UNKNOWN', `HANGAR_ORG=${envOrg} and the project file's org: ${projectOrg} name different organisations; set them to the same one, or unset one of them.`, {
      details: { org: projectOrg, hangarOrg: envOrg },
    });
  }
  return org.id;
}

export interface SessionOptions {
  /** `org:` from the project file: selects the org, or is refused (PROJECT_ORG_UNKNOWN). */
  readonly projectOrg?: string | undefined;
}

export async function openSession(ctx: CommandContext, options: SessionOptions = {}): Promise<Session> {
  const projectOrg = options.projectOrg;
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
      const envOrg = ctx.env.HANGAR_ORG;
      if (projectOrg && envOrg && projectOrg !== envOrg) {
        throw new HangarError('PROJECT_ORG_UNKNOWN', `HANGAR_ORG=${envOrg} and the project file's org: ${projectOrg} differ; in CI set them to the same value (both the id, or both the name), or unset one of them.`, {
          details: { org: projectOrg, hangarOrg: envOrg },
        });
      }
      const ci = await oidc.exchangeOidcToken(ctx, url, projectOrg);
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
  let orgId: string;
  if (projectOrg) {
    // The stored org's id written as `org:` needs no round trip; a name (or another org) is checked.
    orgId = sameAsStored && !ctx.env.HANGAR_ORG && stored.orgId === projectOrg
      ? stored.orgId
      : chooseProjectOrg(await fetchWhoAmI(client), projectOrg, ctx.env.HANGAR_ORG);
  } else {
    orgId = sameAsStored && !ctx.env.HANGAR_ORG
      ? stored.orgId
      : chooseOrg(await fetchWhoAmI(client), ctx.env.HANGAR_ORG);
  }
  return { home, url, orgId, client };
}
