/**
 * S3's state: buckets (one global namespace, each owned by an account) with their objects'
 * metadata and multipart uploads, kept as plain JSON (the service snapshot), and the bytes kept
 * as files under `<root>/objects` and `<root>/uploads` (never in memory).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChecksumAlgorithm } from './checksums.js';

export interface ObjectMeta {
  /** File name under objects/. */
  file: string;
  size: number;
  /** Quoted as sent: `"<md5>"` or `"<md5-of-md5s>-N"`. */
  etag: string;
  lastModified: number;
  headers: Record<string, string>;
  metadata: Record<string, string>;
  checksum?: { algorithm: ChecksumAlgorithm; value: string; type: 'FULL_OBJECT' | 'COMPOSITE' };
  parts?: number;
  tags?: Record<string, string>;
}

export interface PartMeta {
  file: string;
  size: number;
  etag: string;
  lastModified: number;
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
}

export interface UploadMeta {
  uploadId: string;
  key: string;
  initiated: number;
  initiator: string;
  headers: Record<string, string>;
  metadata: Record<string, string>;
  checksumAlgorithm?: ChecksumAlgorithm;
  parts: Record<string, PartMeta>;
  tags?: Record<string, string>;
}

export interface BucketMeta {
  name: string;
  owner: string;
  region: string;
  created: number;
  objects: Record<string, ObjectMeta>;
  uploads: Record<string, UploadMeta>;
  policy?: string;
  tags?: Record<string, string>;
  /** New buckets (undefined) block all public access, as on AWS since April 2023; null once deleted. */
  publicAccessBlock?: PublicAccessBlock | null;
  cors?: CorsRule[];
  website?: WebsiteConfig;
  lifecycle?: LifecycleRule[];
}

export interface LifecycleRule {
  id: string;
  status: 'Enabled' | 'Disabled';
  prefix: string;
  tags: Record<string, string>;
  /** Expiration after this many days (rounded up to midnight UTC), or at `date`. */
  days?: number;
  date?: string;
  abortDays?: number;
}

export interface PublicAccessBlock {
  BlockPublicAcls: boolean;
  IgnorePublicAcls: boolean;
  BlockPublicPolicy: boolean;
  RestrictPublicBuckets: boolean;
}

export interface CorsRule {
  id?: string;
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
}

export interface WebsiteConfig {
  indexSuffix?: string;
  errorKey?: string;
  redirectAllTo?: { hostName: string; protocol?: string };
}

export interface S3State {
  buckets: Record<string, BucketMeta>;
}

export interface Files {
  readonly root: string;
  objectPath(file: string): string;
  partPath(uploadId: string, file: string): string;
  /** A fresh temp path in the same file system (renamed into place once complete). */
  tempPath(): string;
  newObjectFile(): string;
  uploadDir(uploadId: string): string;
  remove(path: string): Promise<void>;
}

export function createFiles(root: string): Files {
  // Temp files are uploads that never finished (a crash mid-body): nothing refers to them.
  rmSync(join(root, 'tmp'), { recursive: true, force: true });
  for (const d of ['objects', 'uploads', 'tmp']) mkdirSync(join(root, d), { recursive: true });
  const id = (): string => randomBytes(12).toString('hex');
  return {
    root,
    objectPath: (file) => join(root, 'objects', file),
    partPath: (uploadId, file) => join(root, 'uploads', uploadId, file),
    tempPath: () => join(root, 'tmp', id()),
    newObjectFile: id,
    uploadDir: (uploadId) => join(root, 'uploads', uploadId),
    remove: (path) => rm(path, { force: true, recursive: true }),
  };
}

/** Upload ids look like AWS's: long, URL-safe. */
export function newUploadId(): string {
  return randomBytes(48).toString('base64url');
}
