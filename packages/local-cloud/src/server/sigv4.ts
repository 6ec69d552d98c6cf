/**
 * SigV4 verification: the signature is recomputed with @smithy/signature-v4 over exactly the
 * headers the client signed, at the client's X-Amz-Date, and compared in constant time.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

export interface SignedParts {
  readonly accessKeyId: string;
  readonly shortDate: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: string[];
  readonly signature: string;
  /** X-Amz-Date, e.g. 20240101T000000Z. */
  readonly amzDate: string;
  readonly presigned: boolean;
  readonly expiresSeconds?: number;
  readonly securityToken?: string;
}

export type ParsedAuth = { kind: 'none' } | { kind: 'malformed'; message: string; service?: string } | { kind: 'signed'; parts: SignedParts };

/** The raw request as it came off the wire. */
export interface WireRequest {
  readonly method: string;
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** The body is streamed to the service, which checks the declared payload hash itself. */
  readonly streamed?: boolean;
}

function scope(credential: string): { accessKeyId: string; shortDate: string; region: string; service: string } | undefined {
  const [accessKeyId, shortDate, region, service, terminator] = credential.split('/');
  if (!accessKeyId || !shortDate || !region || !service || terminator !== 'aws4_request') return undefined;
  return { accessKeyId, shortDate, region, service };
}

/** Splits a raw query string into decoded values (no `+` to space: SigV4 clients encode spaces). */
export function parseRawQuery(raw: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (!raw) return out;
  for (const pair of raw.split('&')) {
    if (!pair) continue;
    const i = pair.indexOf('=');
    const rk = i < 0 ? pair : pair.slice(0, i);
    const rv = i < 0 ? '' : pair.slice(i + 1);
    let k: string;
    let v: string;
    try {
      k = decodeURIComponent(rk);
      v = decodeURIComponent(rv);
    } catch {
      k = rk;
      v = rv;
    }
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

export function parseAuth(headers: Readonly<Record<string, string>>, query: Record<string, string | string[]>): ParsedAuth {
  const header = headers.authorization;
  if (header !== undefined) {
    if (!header.startsWith('AWS4-HMAC-SHA256 ')) return { kind: 'malformed', message: `Unsupported authorization type: ${header.split(' ')[0] ?? ''}` };
    const fields: Record<string, string> = {};
    for (const part of header.slice(17).split(',')) {
      const [k, ...v] = part.trim().split('=');
      if (k) fields[k] = v.join('=');
    }
    const sc = fields.Credential ? scope(fields.Credential) : undefined;
    if (!sc || !fields.SignedHeaders || !fields.Signature) {
      return { kind: 'malformed', message: "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters.", service: sc?.service };
    }
    const amzDate = headers['x-amz-date'];
    if (!amzDate) return { kind: 'malformed', message: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.", service: sc.service };
    return {
      kind: 'signed',
      parts: { ...sc, signedHeaders: fields.SignedHeaders.split(';'), signature: fields.Signature, amzDate, presigned: false, securityToken: headers['x-amz-security-token'] },
    };
  }
  const q = (name: string): string | undefined => {
    const v = query[name];
    return Array.isArray(v) ? v[0] : v;
  };
  if (q('X-Amz-Algorithm') === undefined && q('X-Amz-Credential') === undefined) return { kind: 'none' };
  const sc = scope(q('X-Amz-Credential') ?? '');
  const signature = q('X-Amz-Signature');
  const signedHeaders = q('X-Amz-SignedHeaders');
  const amzDate = q('X-Amz-Date');
  if (q('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' || !sc || !signature || !signedHeaders || !amzDate) {
    return { kind: 'malformed', message: 'AWS query-string parameters must include X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-SignedHeaders and X-Amz-Date.', service: sc?.service };
  }
  const expires = Number(q('X-Amz-Expires') ?? '900');
  return {
    kind: 'signed',
    parts: { ...sc, signedHeaders: signedHeaders.split(';'), signature, amzDate, presigned: true, expiresSeconds: expires, securityToken: q('X-Amz-Security-Token') },
  };
}

/** Parses 20240101T000000Z. */
export function parseAmzDate(s: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

function toBuffer(d: SourceData): Buffer {
  if (typeof d === 'string') return Buffer.from(d);
  if (ArrayBuffer.isView(d)) return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  return Buffer.from(d);
}

/** node:crypto behind the Checksum interface the signer expects (much faster than pure JS). */
class NodeSha256 {
  private hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: SourceData): void {
    this.hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    throw new Error('not supported');
  }
}

export function sha256Hex(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

/** Recomputes the signature; true when it equals the one presented. */
export async function verifySignature(parts: SignedParts, wire: WireRequest, secretAccessKey: string): Promise<boolean> {
  const signingDate = parseAmzDate(parts.amzDate);
  if (!signingDate) return false;
  const signed = new Set(parts.signedHeaders.map((h) => h.toLowerCase()));
  const headers: Record<string, string> = {};
  for (const name of signed) {
    const v = wire.headers[name];
    if (v !== undefined) headers[name] = v;
  }
  const payloadHeader = wire.headers['x-amz-content-sha256'];
  if (!wire.streamed && payloadHeader !== undefined && payloadHeader !== 'UNSIGNED-PAYLOAD' && !payloadHeader.startsWith('STREAMING-')) {
    if (payloadHeader !== sha256Hex(wire.body)) return false;
  }
  const query = parseRawQuery(wire.rawQuery);
  const signer = new SignatureV4({
    credentials: { accessKeyId: parts.accessKeyId, secretAccessKey, sessionToken: parts.presigned ? parts.securityToken : undefined },
    region: parts.region, service: parts.service, sha256: NodeSha256, applyChecksum: false, uriEscapePath: parts.service !== 's3',
  });
  let expected: string;
  if (parts.presigned) {
    for (const k of ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Security-Token']) delete query[k];
    // A streamed (S3) presigned request is signed over UNSIGNED-PAYLOAD: a body that is no buffer says so.
    const body = wire.streamed ? {} : wire.body;
    const request = new HttpRequest({ method: wire.method, protocol: 'http:', hostname: headers.host ?? '', path: wire.rawPath, query, headers, body });
    const out = await signer.presign(request, {
      signingDate, expiresIn: parts.expiresSeconds ?? 900, signableHeaders: signed, unhoistableHeaders: signed,
    });
    const sig = out.query?.['X-Amz-Signature'];
    expected = typeof sig === 'string' ? sig : '';
  } else {
    const request = new HttpRequest({ method: wire.method, protocol: 'http:', hostname: headers.host ?? '', path: wire.rawPath, query, headers, body: wire.body });
    const out = await signer.sign(request, { signingDate, signableHeaders: signed });
    const m = /Signature=([0-9a-f]+)/.exec(String(out.headers.authorization ?? ''));
    expected = m?.[1] ?? '';
  }
  const a = Buffer.from(expected);
  const b = Buffer.from(parts.signature);
  return a.length === b.length && timingSafeEqual(a, b);
}

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Chunk signing for streaming uploads (S3's aws-chunked with chunk-signature), as AWS documents it. */
export function chunkSigning(parts: SignedParts, secretAccessKey: string): { seed: string; chunk(previous: string, dataSha256Hex: string): string; trailer(previous: string, trailerSha256Hex: string): string } {
  const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, parts.shortDate), parts.region), parts.service), 'aws4_request');
  const scope = `${parts.shortDate}/${parts.region}/${parts.service}/aws4_request`;
  return {
    seed: parts.signature,
    chunk: (previous, dataSha256Hex) => createHmac('sha256', key)
      .update(['AWS4-HMAC-SHA256-PAYLOAD', parts.amzDate, scope, previous, EMPTY_SHA256, dataSha256Hex].join('\n')).digest('hex'),
    trailer: (previous, trailerSha256Hex) => createHmac('sha256', key)
      .update(['AWS4-HMAC-SHA256-TRAILER', parts.amzDate, scope, previous, trailerSha256Hex].join('\n')).digest('hex'),
  };
}
