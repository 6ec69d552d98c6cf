/** `hangar tokens create|list|revoke` (`hangar audit …` is in audit.ts). */
import type { CommandContext } from '../context.js';
import { createUi, printJson, reportError } from '../output.js';
import { openSession } from '../session.js';

type Json = { json?: boolean | undefined };

interface TokenInfo { id: string; name: string; prefix: string; createdAt: string; lastUsedAt: string | null; revokedAt: string | null }

export async function tokensCreate(ctx: CommandContext, name: string, o: Json = {}): Promise<number> {
  try {
    const s = await openSession(ctx);
    const r = await s.client.json<{ token: TokenInfo & { token: string }; notice?: string }>('POST', `/api/v1/orgs/${encodeURIComponent(s.orgId)}/tokens`, { name });
    if (o.json) printJson(ctx, r);
    else {
      ctx.stdout.write(`${r.token.token}\n`);
      createUi(ctx).info(r.notice ?? 'This is the only time the token is shown; store it now.');
    }
    return 0;
  } catch (e) {
    return reportError(ctx, e, o.json === true);
  }
}

export async function tokensList(ctx: CommandContext, o: Json = {}): Promise<number> {
  try {
    const s = await openSession(ctx);
    const { tokens } = await s.client.json<{ tokens: TokenInfo[] }>('GET', `/api/v1/orgs/${encodeURIComponent(s.orgId)}/tokens`);
    if (o.json) printJson(ctx, { tokens });
    else for (const t of tokens) ctx.stdout.write(`${t.id}\t${t.name}\t${t.prefix}…\t${t.revokedAt ? `revoked ${t.revokedAt}` : `last used ${t.lastUsedAt ?? 'never'}`}\n`);
    return 0;
  } catch (e) {
    return reportError(ctx, e, o.json === true);
  }
}

export async function tokensRevoke(ctx: CommandContext, idOrName: string, o: Json = {}): Promise<number> {
  try {
    const s = await openSession(ctx);
    const path = `/api/v1/orgs/${encodeURIComponent(s.orgId)}/tokens`;
    let id = idOrName;
    if (!id.startsWith('tok_')) {
      const { tokens } = await s.client.json<{ tokens: TokenInfo[] }>('GET', path);
      id = tokens.find((t) => t.name === idOrName && !t.revokedAt)?.id ?? idOrName;
    }
    const r = await s.client.json<{ token: TokenInfo }>('DELETE', `${path}/${encodeURIComponent(id)}`);
    if (o.json) printJson(ctx, r);
    else createUi(ctx).success(`Revoked token ${r.token.name} (${r.token.id})`);
    return 0;
  } catch (e) {
    return reportError(ctx, e, o.json === true);
  }
}
