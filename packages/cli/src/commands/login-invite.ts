/** `hangar login --url URL --invite CODE`: redeem an invitation for your own API token and store it. */
import { HangarError } from '@hangar/core';
import type { AcceptedInvitation } from '@hangar/core/api';
import type { CommandContext } from '../context.js';
import { configPath, hangarHome, normalizeUrl, writeLogin } from '../config.js';
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
  const client = createEngineClient({ url, token: '', ...(ctx.fetch ? { fetch: ctx.fetch } : {}) });
  const r = await client.json<AcceptedInvitation>('POST', '/api/v1/invitations/accept', { code: options.invite.trim(), ...(options.name ? { name: options.name } : {}) });
  const home = hangarHome(ctx.env, ctx.cwd);
  writeLogin(home, { url, token: r.token.token, orgId: r.org.id });
  createUi(ctx).success(`Joined ${r.org.name} as ${r.role}; logged in to ${url} as ${r.user.email} with your own token (${r.token.prefix}…), saved to ${configPath(home)}`);
}
