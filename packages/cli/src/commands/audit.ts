/**
 * `hangar audit export` and `hangar audit verify [--against EXPORT]`. Verification runs here, in
 * the CLI, with `node:crypto`: the engine only supplies the events, checkpoints and public keys,
 * so a database that was tampered with cannot vouch for itself. Against an earlier export (kept
 * outside the engine), only that export's keys are trusted.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { HangarError } from '@hangar/core';
import { parseAuditExport, verifyAuditExport, type AuditExport, type AuditPublicKey, type AuditVerifyReport } from '@hangar/core/audit';
import type { AuditExportReply, AuditKeysReply } from '@hangar/core/api';
import type { CommandContext } from '../context.js';
import { createUi, printJson, reportError } from '../output.js';
import { openSession, type Session } from '../session.js';

export interface AuditExportOptions {
  readonly out?: string | undefined;
  /** s3://bucket/key: not available yet. */
  readonly bucket?: string | undefined;
  readonly json?: boolean | undefined;
}

async function fetchExport(s: Session): Promise<AuditExport> {
  return s.client.json<AuditExportReply>('GET', `/api/v1/orgs/${encodeURIComponent(s.orgId)}/audit/export`);
}

export async function auditExport(ctx: CommandContext, o: AuditExportOptions = {}): Promise<number> {
  try {
    if (o.bucket !== undefined) {
      throw new HangarError('AUDIT_EXPORT_TARGET_UNSUPPORTED',
        `Exporting to a bucket (${o.bucket}) is not available yet. Export to a file with \`hangar audit export --out audit.json\` and copy it to the bucket with your own tools.`);
    }
    const s = await openSession(ctx);
    const doc = await fetchExport(s);
    const report = verifyAuditExport(doc, { trustedKeys: doc.keys });
    const text = `${JSON.stringify(doc)}\n`;
    if (o.out === undefined || o.out === '-') {
      ctx.stdout.write(text);
    } else {
      const file = resolve(ctx.cwd, o.out);
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, text, { mode: 0o600 });
      await rename(tmp, file); // never a half-written export under the real name
      if (o.json) printJson(ctx, { file, events: doc.events.length, checkpoints: doc.checkpoints.length, latestCheckpoint: report.latestCheckpoint, ok: report.ok, problems: report.problems });
      else {
        const ui = createUi(ctx);
        const latest = report.latestCheckpoint;
        ui.success(`Exported ${doc.events.length} events and ${doc.checkpoints.length} signed checkpoints to ${file}.`);
        if (latest) ui.info(`The newest checkpoint (${latest.id}, signed ${latest.ts}) covers all ${latest.eventCount} events. Keep this file outside the engine: \`hangar audit verify --against ${o.out}\` later proves nothing in it changed.`);
      }
    }
    if (!report.ok) {
      printProblem(ctx, report, 'The exported log does not verify');
      return 1;
    }
    return 0;
  } catch (e) {
    return reportError(ctx, e, o.json === true);
  }
}

export interface AuditVerifyOptions {
  /** An earlier `hangar audit export` file. */
  readonly against?: string | undefined;
  readonly json?: boolean | undefined;
}

export async function auditVerify(ctx: CommandContext, o: AuditVerifyOptions = {}): Promise<number> {
  try {
    const earlier = o.against === undefined ? undefined : await readExport(ctx, o.against);
    const s = await openSession(ctx);
    if (earlier) {
      // The earlier export must hold up on its own (its own keys) before it can judge today's log.
      const own = verifyAuditExport(earlier, { trustedKeys: earlier.keys });
      if (!own.ok) {
        if (o.json) printJson(ctx, { ...own, ok: false, source: 'against' });
        else printProblem(ctx, own, `The earlier export ${o.against} does not verify itself`);
        return 1;
      }
    }
    const current = await fetchExport(s);
    const trustedKeys: AuditPublicKey[] = earlier
      ? earlier.keys
      : (await s.client.json<AuditKeysReply>('GET', '/.well-known/hangar-audit-keys.json')).keys;
    const report = verifyAuditExport(current, { trustedKeys, ...(earlier ? { against: earlier } : {}) });
    if (o.json) printJson(ctx, report);
    else if (report.ok) {
      const latest = report.latestCheckpoint;
      createUi(ctx).success(`Audit chain intact: ${report.events} events, ${report.checkpoints} signed checkpoints` +
        `${latest ? ` (the newest, ${latest.id}, covers ${latest.eventCount} events)` : ''}` +
        `${earlier ? `; everything in ${o.against} (${earlier.events.length} events, ${earlier.checkpoints.length} checkpoints) is unchanged` : ''}.`);
    } else printProblem(ctx, report, 'Audit log does not verify');
    return report.ok ? 0 : 1;
  } catch (e) {
    return reportError(ctx, e, o.json === true);
  }
}

async function readExport(ctx: CommandContext, path: string): Promise<AuditExport> {
  const file = resolve(ctx.cwd, path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new HangarError('AUDIT_EXPORT_INVALID', `Cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)}). Pass --against a file written by \`hangar audit export --out FILE\`.`);
  }
  try {
    return parseAuditExport(text);
  } catch (e) {
    throw new HangarError('AUDIT_EXPORT_INVALID', `${file} is not an audit export: ${e instanceof Error ? e.message : String(e)}. Pass --against a file written by \`hangar audit export --out FILE\`.`);
  }
}

function printProblem(ctx: CommandContext, report: AuditVerifyReport, title: string): void {
  const [first, ...rest] = report.problems;
  if (!first) return;
  const what = first.kind === 'event' ? `event ${first.seq}` : `checkpoint ${first.seq}`;
  ctx.stderr.write(`✖ ${title}: first bad ${what}${first.id ? ` (${first.id})` : ''}: ${first.reason} (AUDIT_CHAIN_BROKEN)\n`);
  for (const p of rest) ctx.stderr.write(`  also: ${p.reason}\n`);
}
