/** STS credentials in the wire shape of the query API. */
import { isoSeconds } from '../internal/ids.js';
import type { SessionRecord } from '../iam/state.js';

export function credentialsShape(s: SessionRecord): Record<string, unknown> {
  return {
    AccessKeyId: s.accessKeyId, SecretAccessKey: s.secretAccessKey, SessionToken: s.sessionToken,
    Expiration: isoSeconds(new Date(s.expiration)),
  };
}
