/** `hangar login`, `logout`, `whoami`: the CLI's own Hangar token, never a cloud credential. */
import { HangarError } from '@hangar/core';
import type { CommandContext } from '../context.js';
import { configPath, hangarHome, normalizeUrl, removeLogin, writeLogin } from '../config.js';
import { createUi, printJson, reportError } from '../output.js';
import { chooseOrg, fetchWhoAmI, openSession, sessionClient } from '../session.js';

export interface LoginOptions {
  readonly url?: string | undefined;
  readonly token?: string | undefined;
  /** Org id or name, when the token's user belongs to several. */
  readonly org?: string | undefined;
  /** An invitation code (`hgi_…`) to redeem instead of a token. */
  readonly invite?: string | undefined;
  readonly name?: string | undefined;
}

export async function login(ctx: CommandContext, options: LoginOptions = {}): Promise<number> {
  try {
    if (options.invite) {
      await (await import('./login-invite.js')).loginWithInvite(ctx, { url: options.url, invite: options.invite, name: options.name });
      return 0;
    }
    let url = options.url ?? ctx.env.HANGAR_URL;
    let token = options.token ?? ctx.env.HANGAR_TOKEN;
    if (!url) url = await ctx.prompt?.text('Engine URL', { placeholder: 'http://127.0.0.1:7300' });
    if (!token) token = await ctx.prompt?.secret('API token (shown once when it was created)');
    if (!url || !token) {
      throw new HangarError('CLI_NOT_LOGGED_IN', 'Give the engine and a token: `hangar login --url <engine> --token <token>` (or run it in a terminal to be asked).');
    }
    url = normalizeUrl(url);
    const who = await fetchWhoAmI(sessionClient(ctx, url, token));
    const orgId = chooseOrg(who, options.org ?? ctx.env.HANGAR_ORG);
    const home = hangarHome(ctx.env, ctx.cwd);
    writeLogin(home, { url, token, orgId });
    const org = who.orgs.find((o) => o.id === orgId);
    createUi(ctx).success(`Logged in to ${url} as ${who.user.email} in ${org?.name ?? orgId} (${org?.role ?? 'member'}); saved to ${configPath(home)}`);
    return 0;
  } catch (e) {
    return reportError(ctx, e, false);
  }
}

export async function logout(ctx: CommandContext): Promise<number> {
  const home = hangarHome(ctx.env, ctx.cwd);
  const removed = removeLogin(home);
  createUi(ctx).success(removed ? `Logged out; removed ${configPath(home)}` : 'Not logged in; nothing to remove.');
  return 0;
}

export async function whoami(ctx: CommandContext, options: { json?: boolean | undefined } = {}): Promise<number> {
  try {
    const session = await openSession(ctx);
    const who = await fetchWhoAmI(session.client);
    const org = who.orgs.find((o) => o.id === session.orgId);
    if (options.json) {
      printJson(ctx, { url: session.url, user: who.user, org: org ?? { id: session.orgId }, actor: who.actor });
    } else {
      ctx.stdout.write(`${who.user.email} (${who.user.name}) in ${org?.name ?? session.orgId} [${session.orgId}] as ${org?.role ?? 'member'}\nengine: ${session.url}\n`);
    }
    return 0;
  } catch (e) {
    return reportError(ctx, e, options.json === true);
  }
}
