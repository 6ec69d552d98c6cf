/** Turning verify's checks into a verdict and a fix a person can apply (pure). */
import type { ErrorCode } from '@hangar/core';

export type CheckId =
  | 'assume-with-external-id'
  | 'refused-without-external-id'
  | 'refused-with-wrong-external-id'
  | 'session-tags-and-source-identity'
  | 'web-identity-assume'
  | 'web-identity-refused-for-other-org'
  | 'caller-identity-account';

export interface Check {
  readonly id: CheckId;
  readonly title: string;
  readonly passed: boolean;
  readonly detail: string;
  /** What to change when it failed; null when it passed. */
  readonly fix: string | null;
  /** When a failure means something other than the check's usual code (e.g. an inconclusive probe). */
  readonly code?: ErrorCode;
}

export interface Verification {
  readonly status: 'verified' | 'failed';
  readonly code?: ErrorCode;
  readonly message?: string;
  readonly roleArn: string;
  readonly at: string;
  readonly checks: readonly Check[];
}

const codeOf: Record<CheckId, ErrorCode> = {
  'assume-with-external-id': 'PROVIDER_ASSUME_FAILED',
  'session-tags-and-source-identity': 'PROVIDER_ASSUME_FAILED',
  'web-identity-assume': 'PROVIDER_ASSUME_FAILED',
  'refused-without-external-id': 'PROVIDER_EXTERNAL_ID_NOT_ENFORCED',
  'refused-with-wrong-external-id': 'PROVIDER_EXTERNAL_ID_NOT_ENFORCED',
  'web-identity-refused-for-other-org': 'PROVIDER_SUBJECT_NOT_ENFORCED',
  'caller-identity-account': 'PROVIDER_ACCOUNT_MISMATCH',
};

/** The most serious failure names the code: an open role (confused deputy) before a broken one. */
const severity: readonly ErrorCode[] = ['PROVIDER_EXTERNAL_ID_NOT_ENFORCED', 'PROVIDER_SUBJECT_NOT_ENFORCED', 'PROVIDER_ASSUME_FAILED', 'PROVIDER_ACCOUNT_MISMATCH'];

export function summarise(checks: readonly Check[], ctx: { roleArn: string; providerName: string; at: string }): Verification {
  const failed = checks.filter((c) => !c.passed);
  if (failed.length === 0) return { status: 'verified', roleArn: ctx.roleArn, at: ctx.at, checks };
  const codes = failed.map((c) => c.code ?? codeOf[c.id]);
  const code = severity.find((s) => codes.includes(s))!;
  const lines = failed.map((c) => `- ${c.title}: ${c.detail}${c.fix ? `\n  Fix: ${c.fix}` : ''}`);
  const message = `Provider "${ctx.providerName}" is not usable: ${failed.length} of ${checks.length} checks failed for ${ctx.roleArn}.\n${lines.join('\n')}\nThen run \`hangar providers verify ${ctx.providerName}\` again.`;
  return { status: 'failed', code, message, roleArn: ctx.roleArn, at: ctx.at, checks };
}

export function passed(id: CheckId, title: string, detail: string): Check {
  return { id, title, passed: true, detail, fix: null };
}
export function failed(id: CheckId, title: string, detail: string, fix: string, code?: ErrorCode): Check {
  return { id, title, passed: false, detail, fix, ...(code ? { code } : {}) };
}
