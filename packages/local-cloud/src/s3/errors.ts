/** S3's error shape: `<Error><Code/><Message/>…extra fields…<RequestId/><HostId/></Error>`. */
import type { ServiceResponse } from '../internal/contract.js';
import { AwsError } from '../internal/contract.js';
import { esc } from './xml.js';

/** An S3 error with the extra elements S3 adds (BucketName, Key, Condition, ActualObjectSize…). */
export class S3Error extends AwsError {
  constructor(code: string, message: string, status: number, readonly extra: Record<string, string> = {}, readonly headers: Record<string, string> = {}) {
    super(code, message, status);
  }
}

export const noSuchBucket = (bucket: string): S3Error => new S3Error('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: bucket });
export const noSuchKey = (key: string): S3Error => new S3Error('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });
export const noSuchUpload = (uploadId: string): S3Error => new S3Error('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', 404, { UploadId: uploadId });
export const accessDenied = (message = 'Access Denied'): S3Error => new S3Error('AccessDenied', message, 403);

export function renderS3Error(e: AwsError, requestId: string, method: string): ServiceResponse {
  const extra = e instanceof S3Error ? e.extra : {};
  const headers: Record<string, string> = { 'x-amz-request-id': requestId, 'x-amz-id-2': requestId, ...(e instanceof S3Error ? e.headers : {}) };
  // HEAD answers carry no body; SDKs name the error from the status.
  if (method === 'HEAD') return { status: e.status, headers };
  const fields = Object.entries(extra).map(([k, v]) => `<${k}>${esc(v)}</${k}>`).join('');
  const code = e.code === 'AccessDeniedException' ? 'AccessDenied' : e.code;
  return {
    status: e.status,
    headers: { ...headers, 'content-type': 'application/xml' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${esc(code)}</Code><Message>${esc(e.message)}</Message>${fields}<RequestId>${requestId}</RequestId><HostId>${requestId}</HostId></Error>`,
  };
}
