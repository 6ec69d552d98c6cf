/**
 * Whether AWS can use the engine's OIDC issuer (pure). IAM fetches `<issuer>/.well-known/openid-configuration`
 * and the JWKS itself, over https, from the internet: an http URL, or a loopback or private address,
 * can never work with real AWS. With an AWS-compatible endpoint (the local cloud) it can, so there
 * it is only a warning.
 */
import { isIP } from 'node:net';

export interface IssuerProblem {
  /** "error" when the endpoint is real AWS (HANGAR_AWS_ENDPOINT unset): such a provider could never work. */
  readonly severity: 'warning' | 'error';
  readonly message: string;
}

function unreachableHost(hostname: string): string | undefined {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return 'a loopback name';
  if (isIP(h) === 4) {
    const [a, b] = h.split('.').map(Number) as [number, number];
    if (a === 127 || a === 0) return 'a loopback address';
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254)) return 'a private address';
  }
  if (isIP(h) === 6) {
    if (h === '::1' || h === '::') return 'a loopback address';
    if (/^f[cd]/.test(h) || h.startsWith('fe80')) return 'a private address';
  }
  return undefined;
}

/** What is wrong with `publicUrl` as an issuer AWS must reach, or undefined when nothing is. */
export function issuerProblem(publicUrl: string, awsEndpoint: string | undefined): IssuerProblem | undefined {
  let url: URL;
  try {
    url = new URL(publicUrl);
  } catch {
    return { severity: 'error', message: `HANGAR_PUBLIC_URL ${JSON.stringify(publicUrl)} is not a URL` };
  }
  const reasons: string[] = [];
  if (url.protocol !== 'https:') reasons.push('uses http (AWS accepts only an https issuer)');
  const host = unreachableHost(url.hostname);
  if (host) reasons.push(`names ${host} that AWS cannot reach`);
  if (reasons.length === 0) return undefined;
  const what = `The OIDC issuer ${url.origin} (HANGAR_PUBLIC_URL) ${reasons.join(' and ')}`;
  if (awsEndpoint) {
    return { severity: 'warning', message: `${what}. It works with the AWS-compatible endpoint ${awsEndpoint}, but real AWS would refuse web-identity providers; set HANGAR_PUBLIC_URL to the engine's public https URL before using real AWS.` };
  }
  return { severity: 'error', message: `${what}, so AWS could never accept a web-identity provider's tokens. Set HANGAR_PUBLIC_URL to the engine's public https URL (behind your TLS proxy; see docs/self-host.md), or use an assume-role provider.` };
}
