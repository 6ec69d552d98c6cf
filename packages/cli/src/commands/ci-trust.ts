/** `hangar ci-trust create|list|delete`: let a CI provider's OIDC tokens deploy one app and stage. */
import { HangarError } from '@hangar/core';
import type { CiTrust } from '@hangar/core/api';
import type { CommandContext } from '../context.js';
import { createUi, printJson, reportError } from '../output.js';
import { openSession, type Session } from '../session.js';

type Json = { json?: boolean | undefined };
export interface CiTrustCreateOptions extends Json {
  readonly issuer?: string | undefined;
  readonly audience?: string | undefined;
  readonly subject?: string | undefined;
  readonly role?: string | undefined;
  readonly app?: string | undefined;
  readonly stage?: string | undefined;
  /** `name=pattern`, repeatable. */
  readonly claim?: readonly string[] | undefined;
}

const base = (s: Session) => `/api/v1/orgs/${encodeURIComponent(s.orgId)}/ci-trusts`;

async function guarded(ctx: CommandContext, json: boolean | undefined, fn: (s: Session) => Promise<void>): Promise<number> {
  try {
    await fn(await openSession(ctx));
    return 0;
  } catch (e) {
    return reportError(ctx, e, json === true);
  }
}

export function parseClaims(pairs: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new HangarError('VALIDATION_FAILED', `--claim: expected NAME=PATTERN (e.g. repository_owner=acme), got ${JSON.stringify(p)}`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

export const ciTrustCreate = (ctx: CommandContext, name: string, o: CiTrustCreateOptions = {}) => guarded(ctx, o.json, async (s) => {
  const missing = (['issuer', 'audience', 'subject', 'app', 'stage'] as const).filter((k) => !o[k]);
  if (missing.length) throw new HangarError('VALIDATION_FAILED', `hangar ci-trust create needs ${missing.map((m) => `--${m}`).join(', ')}; e.g. --issuer https://token.actions.githubusercontent.com --audience ${s.url} --subject 'repo:acme/shop:ref:refs/heads/main' --app shop --stage prod`);
  const { trust } = await s.client.json<{ trust: CiTrust }>('POST', base(s), {
    name, issuer: o.issuer, audience: o.audience, subject: o.subject, claims: parseClaims(o.claim), role: o.role ?? 'deployer', app: o.app, stage: o.stage,
  });
  if (o.json) { printJson(ctx, { trust }); return; }
  const ui = createUi(ctx);
  ui.success(`CI trust ${trust.name} (${trust.id}): tokens from ${trust.issuer} for audience ${trust.audience} with sub ${trust.subject} may deploy ${trust.app}/${trust.stage} as ${trust.role}.`);
  ui.info(`In CI set HANGAR_URL=${s.url} and HANGAR_ORG=${s.orgId}; \`hangar deploy\` exchanges the job's OIDC token (docs/ci.md).`);
});

export const ciTrustList = (ctx: CommandContext, o: Json = {}) => guarded(ctx, o.json, async (s) => {
  const { trusts } = await s.client.json<{ trusts: CiTrust[] }>('GET', base(s));
  if (o.json) printJson(ctx, { trusts });
  else if (!trusts.length) createUi(ctx).info('No CI trusts; create one with `hangar ci-trust create`.');
  else for (const t of trusts) {
    const claims = Object.entries(t.claims).map(([k, v]) => ` ${k}=${v}`).join('');
    ctx.stdout.write(`${t.id}\t${t.name}\t${t.app}/${t.stage}\t${t.role}\t${t.issuer}\taud=${t.audience}\tsub=${t.subject}${claims}\n`);
  }
});

export const ciTrustDelete = (ctx: CommandContext, idOrName: string, o: Json = {}) => guarded(ctx, o.json, async (s) => {
  await s.client.json('DELETE', `${base(s)}/${encodeURIComponent(idOrName)}`);
  if (o.json) printJson(ctx, { deleted: idOrName });
  else createUi(ctx).success(`Deleted CI trust ${idOrName}; tokens it issued no longer work.`);
});
