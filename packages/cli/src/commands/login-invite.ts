/** `hangar login --url URL --invite CODE`: redeem an invitation for your own API token and store it. */
import { HangarError, isHangarError } from '@hangar/core';
import type { AcceptedInvitation } from '@hangar/core/api';
import type { CommandContext } from '../context.js';
import { configPath, hangarHome, normalizeUrl, readLogin, writeLogin } from '../config.js';
import { createEngineClient } from '../engine-client.js';
import { createUi } from '../output.js';

export interface InviteLoginOptions {
  readonly url?: string | undefined;
  readonly invite: string;
  /** Your display name (used only when the engine has no user with the invited email yet). */
  readonly name?: string | undefined;
}

export async function loginWithInvite(ctx: CommandContext, options: InviteLoginOptions): Promise<void> {
  let url = options.url ?? ctx.env.HANGAR_URL;
  if (!url) url = await ctx.prompt?.text('Engine URL', { placeholder: 'https://hangar.example.com' });
  if (!url) throw new HangarError('CLI_NOT_LOGGED_IN', 'Give the engine: `hangar login --url <engine> --invite <code>`.');
  url = normalizeUrl(url);
  const home = hangarHome(ctx.env, ctx.cwd);
  // If you already have an account (in another organisation), the engine asks for proof that you
  // are it: your current login for this engine (or HANGAR_TOKEN) goes along. A new account needs none.
  const stored = ctx.env.HANGAR_TOKEN ? undefined : readLoginQuietly(home);
  const current = ctx.env.HANGAR_TOKEN || (stored?.url === url ? stored.token : '');
  const body = { code: options.invite.trim(), ...(options.name ? { name: options.name } : {}) };
  const redeem = (token: string) => createEngineClient({ url: url!, token, ...(ctx.fetch ? { fetch: ctx.fetch } : {}) })
    .json<AcceptedInvitation>('POST', '/api/v1/invitations/accept', body);
  let r: AcceptedInvitation;
  try {
    r = await redeem(current);
  } catch (e) {
    // A stale stored login must not stand in the way of a new account's code.
    if (!(current && isHangarError(e) && e.code === 'AUTH_REQUIRED')) throw e;
    r = await redeem('');
  }
  writeLogin(home, { url, token: r.token.token, orgId: r.org.id });
  createUi(ctx).success(`Joined ${r.org.name} as ${r.role}; logged in to ${url} as ${r.user.email} with your own token (${r.token.prefix}…), saved to ${configPath(home)}`);
}

function readLoginQuietly(home: string): ReturnType<typeof readLogin> {
  try {
    return readLogin(home);
  } catch {
    return undefined; // a damaged login file is replaced by the new login below
  }
}
