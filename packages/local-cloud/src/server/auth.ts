/** Who signed this request: key lookup, session expiry, clock skew, then the signature itself. */
import { AwsError, type Principal } from '../internal/contract.js';
import { isoSeconds } from '../internal/ids.js';
import type { Identity } from '../iam/identity.js';
import { authError, type Protocol } from './errors.js';
import { parseAmzDate, verifySignature, type SignedParts, type WireRequest } from './sigv4.js';

/** AWS accepts signatures up to 15 minutes away from its clock. */
export const MAX_SKEW_MS = 15 * 60 * 1000;

/** S3 names a skewed clock RequestTimeTooSkewed (the SDK corrects its offset from the Date header). */
const skewed = (): AwsError => new AwsError('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', 403);

const compact = (d: Date): string => isoSeconds(d).replace(/[-:]/g, '');

export async function authenticate(parts: SignedParts, wire: WireRequest, identity: Identity, protocol: Protocol): Promise<Principal> {
  const found = identity.lookupKey(parts.accessKeyId, parts.securityToken);
  if (found.kind === 'unknown') throw authError('unknown-key', protocol);
  if (found.kind === 'expired') throw authError('expired-token', protocol);

  const signedAt = parseAmzDate(parts.amzDate);
  if (!signedAt) throw authError('incomplete', protocol, `Invalid X-Amz-Date: ${parts.amzDate}`);
  if (parts.shortDate !== parts.amzDate.slice(0, 8)) {
    throw authError('bad-signature', protocol, `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${parts.shortDate}' != '${parts.amzDate.slice(0, 8)}', from '${parts.amzDate}'.`);
  }
  const now = identity.now();
  const earliest = new Date(now.getTime() - MAX_SKEW_MS);
  const latest = new Date(now.getTime() + MAX_SKEW_MS);
  if (parts.presigned) {
    const expiresAt = new Date(signedAt.getTime() + (parts.expiresSeconds ?? 900) * 1000);
    if (expiresAt < now) {
      if (protocol === 'rest-xml') throw new AwsError('AccessDenied', 'Request has expired', 403);
      throw authError('bad-signature', protocol, `Signature expired: ${compact(expiresAt)} is now earlier than ${compact(now)}`);
    }
  } else if (signedAt < earliest) {
    if (protocol === 'rest-xml') throw skewed();
    throw authError('bad-signature', protocol, `Signature expired: ${parts.amzDate} is now earlier than ${compact(earliest)} (${compact(now)} - 15 min.)`);
  }
  if (signedAt > latest) {
    if (protocol === 'rest-xml') throw skewed();
    throw authError('bad-signature', protocol, `Signature not yet current: ${parts.amzDate} is still later than ${compact(latest)} (${compact(now)} + 15 min.)`);
  }
  if (!(await verifySignature(parts, wire, found.secretAccessKey))) throw authError('bad-signature', protocol);
  return found.principal;
}
