/** `hangar tokens create|list|revoke` (`hangar audit …` is in audit.ts). */
import type { createToken, listTokens, revokeToken } from '@hangar/core/api';
import type { CommandContext } from '../context.js';
import { createUi, printJson, reportError } from '../output.js';
import { openSession } from '../session.js';

type Json = { json?: boolean | undefined };

export async function tokensCreate(ctx: CommandContext, name: string, o: Json = {}): Promise<number> {
  try {
    const s = await openSession(ctx);
    const r = await s.client.call<typeof createToken>('POST', '/api/v1/orgs/:orgId/tokens', { params: { orgId: s.orgId }, body: { name } });
    if (o.json) printJson(ctx, r);
    else {
      ctx.stdout.write(`${r.token.token}\n`);
      createUi(ctx).info(r.notice);
    }
    return 0;
  } catch (e) {
    return reportError(ctx, e, o.json === true);
  }
}

export async function tokensList(ctx: CommandContext, o: Json = {}): Promise<number> {
  try {
    const s = await openSession(ctx);
    const { tokens } = await s.client.call<typeof listTokens>('GET', '/api/v1/orgs/:orgId/tokens', { params: { orgId: s.orgId } });
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
    let id = idOrName;
    if (!id.startsWith('tok_')) {
      const { tokens } = await s.client.call<typeof listTokens>('GET', '/api/v1/orgs/:orgId/tokens', { params: { orgId: s.orgId } });
      id = tokens.find((t) => t.name === idOrName && !t.revokedAt)?.id ?? idOrName;
    }
    const r = await s.client.call<typeof revokeToken>('DELETE', '/api/v1/orgs/:orgId/tokens/:tokenId', { params: { orgId: s.orgId, tokenId: id } });
    if (o.json) printJson(ctx, r);
    else createUi(ctx).success(`Revoked token ${r.token.name} (${r.token.id})`);
    return 0;
  } catch (e) {
    return reportError(ctx, e, o.json === true);
  }
}
