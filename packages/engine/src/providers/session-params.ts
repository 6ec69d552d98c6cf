/**
 * The facts STS is given for one deployment's session, built purely from ids so the rules
 * (names, lengths, allowed characters, refresh timing) are unit-tested without AWS.
 */
import { randomBytes } from 'node:crypto';
import { HangarError } from '@hangar/core';
import type { SessionPolicyDocument } from '../types.js';

/** STS RoleSessionName and SourceIdentity allow [\w+=,.@-]; 2..64 characters. */
const stsNameChars = /[^\w+=,.@-]+/g;

export function sessionName(deploymentId: string): string {
  return clampStsName(`hangar-${deploymentId}`);
}

/** An operation's session: `hangar-logs-<instanceId>`, `hangar-invoke-<instanceId>`. */
export function operationSessionName(purpose: string, instanceId: string): string {
  return clampStsName(`hangar-${purpose}-${instanceId}`);
}

/** "user:alice@example.com" → "user_alice@example.com": the actor, in the characters STS accepts. */
export function sourceIdentity(actorName: string): string {
  return clampStsName(actorName);
}

function clampStsName(value: string): string {
  const clean = value.replace(stsNameChars, '_').slice(0, 64);
  return clean.length >= 2 ? clean : clean.padEnd(2, '_');
}

/** Session tag values allow letters, digits, spaces and _.:/=+-@ up to 256 characters. */
function tagValue(v: string): string {
  return v.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, '_').slice(0, 256);
}

export interface SessionTag { readonly Key: string; readonly Value: string }

/** Ids, never names: a renamed app keeps its tag. */
export function sessionTags(ids: { orgId: string; appId: string; stage: string }): SessionTag[] {
  return [
    { Key: 'hangar:org', Value: tagValue(ids.orgId) },
    { Key: 'hangar:app', Value: tagValue(ids.appId) },
    { Key: 'hangar:stage', Value: tagValue(ids.stage) },
  ];
}

/** The OIDC `sub` for a deployment: immutable ids only. */
export function oidcSubject(ids: { orgId: string; appId: string; stage: string }): string {
  return `org:${ids.orgId}:app:${ids.appId}:stage:${ids.stage}`;
}

/** STS limits a session policy's plain text to 2048 characters. */
const maxPolicyChars = 2048;

/**
 * A session policy allowing only the declared actions (on any resource). When the list is too
 * long for STS it widens to whole services (`lambda:*`) rather than fail; undefined when no
 * permissions are declared (the role's own policy applies unnarrowed).
 */
export function sessionPolicy(permissions: readonly string[] | undefined): string | undefined {
  if (!permissions || permissions.length === 0) return undefined;
  const actions = [...new Set(permissions)].sort();
  const doc = (a: string[]) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: a, Resource: '*' }] });
  const exact = doc(actions);
  if (exact.length <= maxPolicyChars) return exact;
  const services = [...new Set(actions.map((a) => `${a.split(':')[0]}:*`))].sort();
  return doc(services);
}

/**
 * A full session policy document as STS takes it: compact JSON within the 2048-character limit on
 * its plain text, in the characters STS accepts (\u0020-\u00FF, tab, LF, CR). STS also packs the
 * policy with the session tags into a binary form with its own limit, which cannot be computed
 * here (AWS answers PackedPolicyTooLarge); the documents the engine builds stay far below both.
 */
export function serializeSessionPolicy(doc: SessionPolicyDocument): string {
  const text = JSON.stringify(doc);
  if (text.length > maxPolicyChars) {
    throw new HangarError('INTERNAL', `The session policy built for this operation is ${text.length} characters; STS accepts at most ${maxPolicyChars}.`);
  }
  if ([...text].some((ch) => !stsPolicyChar(ch.charCodeAt(0)))) {
    throw new HangarError('INTERNAL', 'The session policy built for this operation holds characters STS does not accept (outside \\u0020-\\u00FF).');
  }
  return text;
}

const stsPolicyChar = (c: number) => c === 0x09 || c === 0x0a || c === 0x0d || (c >= 0x20 && c <= 0xff);

/** Refresh when less than this remains, so a call started now never runs on expired keys. */
export const refreshMarginSeconds = 300;

export function needsRefresh(expiration: Date | undefined, now: Date, marginSeconds = refreshMarginSeconds): boolean {
  if (!expiration) return false;
  return expiration.getTime() - now.getTime() < marginSeconds * 1000;
}

/** The key id's last 4 characters: all of a key that an audit event or log may name. */
export function keyIdTail(accessKeyId: string): string {
  return accessKeyId.slice(-4);
}

/** Engine-generated, never user-chosen: 8 + 43 characters of crypto randomness. */
export function generateExternalId(): string {
  return `hgr-ext-${randomBytes(32).toString('base64url')}`;
}

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;
}
