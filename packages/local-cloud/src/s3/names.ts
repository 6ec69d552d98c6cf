/** Bucket names as AWS validates general purpose buckets; key and metadata limits. */
import { S3Error } from './errors.js';

const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/** Why `name` is not a valid bucket name, or undefined when it is. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'Bucket names must be between 3 (min) and 63 (max) characters long.';
  if (!/^[a-z0-9.-]+$/.test(name)) return 'Bucket names can consist only of lowercase letters, numbers, periods (.), and hyphens (-).';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'Bucket names must begin and end with a letter or number.';
  if (name.includes('..')) return 'Bucket names must not contain two adjacent periods.';
  if (/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)) return 'Bucket names must not be formatted as an IP address.';
  if (RESERVED_PREFIXES.some((p) => name.startsWith(p))) return 'Bucket names must not start with a reserved prefix.';
  if (RESERVED_SUFFIXES.some((s) => name.endsWith(s))) return 'Bucket names must not end with a reserved suffix.';
  return undefined;
}

export function validateBucketName(name: string): void {
  if (bucketNameProblem(name) !== undefined) throw new S3Error('InvalidBucketName', 'The specified bucket is not valid.', 400, { BucketName: name });
}

export function validateKey(key: string): void {
  if (Buffer.byteLength(key) > 1024) {
    throw new S3Error('KeyTooLongError', 'Your key is too long', 400, { Size: String(Buffer.byteLength(key)), MaxSizeAllowed: '1024' });
  }
}

/** User metadata (`x-amz-meta-*`), at most 2 KB of names and values as on AWS. */
export function userMetadata(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  let size = 0;
  for (const [k, v] of Object.entries(headers)) {
    if (!k.startsWith('x-amz-meta-')) continue;
    const name = k.slice('x-amz-meta-'.length);
    out[name] = v;
    size += Buffer.byteLength(name) + Buffer.byteLength(v);
  }
  if (size > 2048) throw new S3Error('MetadataTooLarge', 'Your metadata headers exceed the maximum allowed metadata size', 400, { Size: String(size), MaxSizeAllowed: '2048' });
  return out;
}

/** The representation headers S3 stores with an object and returns on GET/HEAD. */
export const STORED_HEADERS = ['content-type', 'cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires'] as const;

export function storedHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of STORED_HEADERS) {
    let v = headers[h];
    if (v === undefined) continue;
    // aws-chunked is the transfer framing, not the object's encoding.
    if (h === 'content-encoding') v = v.split(',').map((e) => e.trim()).filter((e) => e && e.toLowerCase() !== 'aws-chunked').join(',');
    if (v) out[h] = v;
  }
  out['content-type'] ??= 'binary/octet-stream';
  return out;
}

/**
 * New buckets enforce bucket ownership (ACLs disabled), as on AWS since April 2023: a canned ACL
 * other than private / bucket-owner-full-control, or any x-amz-grant-* header, is refused.
 */
export function refuseAcls(headers: Readonly<Record<string, string>>, forBucket = false): void {
  const acl = headers['x-amz-acl'];
  const grants = Object.keys(headers).some((h) => h.startsWith('x-amz-grant-'));
  const allowed = forBucket ? ['private'] : ['private', 'bucket-owner-full-control'];
  if ((acl !== undefined && !allowed.includes(acl)) || grants) {
    if (forBucket) throw new S3Error('InvalidBucketAclWithObjectOwnership', "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting", 400);
    throw new S3Error('AccessControlListNotSupported', 'The bucket does not allow ACLs', 400);
  }
}
