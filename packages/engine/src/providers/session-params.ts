/**
 * The facts STS is given for one deployment's session, built purely from ids so the rules
 * (names, lengths, allowed characters, refresh timing) are unit-tested without AWS.
 */
import { randomBytes } from 'node:crypto';

/** STS RoleSessionName and SourceIdentity allow [\w+=,.@-]; 2..64 characters. */
const stsNameChars = /[^\w+=,.@-]+/g;

export function sessionName(deploymentId: string): string {
  return clampStsName(`hangar-${deploymentId}`);
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
