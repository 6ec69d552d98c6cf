/**
 * Where function and layer code comes from: a direct upload (`ZipFile`, base64) or an S3 object
 * (`S3Bucket`/`S3Key`/`S3ObjectVersion`), read through the local S3's store as the caller, who
 * needs `s3:GetObject` on it as on AWS. S3's refusals become Lambda's errors.
 */
import { AwsError, type Principal } from '../internal/contract.js';
import type { S3Api } from '../s3/index.js';
import { InspectedUpload, MAX_UNZIPPED_BYTES, type CodeUnpacker, type UnpackedCode } from './code.js';
import { read } from './validate.js';

const invalid = (m: string) => new AwsError('InvalidParameterValueException', m);

/**
 * The code a `Code`/`Content` object names. `s3` is undefined when this cloud serves no S3.
 * `kind` words the "provide a source" message ("function code" or "layer content"). The zip is
 * checked (and read, for an S3 object) by `unpacker`, off the event loop when large.
 */
export async function codeFrom(
  principal: Principal, region: string, code: Record<string, unknown>, operation: string, s3: S3Api | undefined, kind: string, unpacker: CodeUnpacker,
): Promise<UnpackedCode> {
  // A large body was parsed in the worker, its upload inspected there (`CodeUnpacker.parseCodeBody`).
  const upload = code.ZipFile instanceof InspectedUpload ? code.ZipFile : undefined;
  const zip = upload ? '' : read.str(code, 'ZipFile');
  const bucket = read.str(code, 'S3Bucket');
  const key = read.str(code, 'S3Key');
  const version = read.str(code, 'S3ObjectVersion');
  if (zip !== undefined) {
    if (bucket !== undefined || key !== undefined) throw invalid(`Please provide either the ZipFile or the S3Bucket and S3Key for the ${kind}, not both.`);
    return upload ? upload.take() : unpacker.inspect({ base64: zip }, operation);
  }
  if (bucket === undefined && key === undefined) {
    if (read.str(code, 'ImageUri')) throw invalid('This local cloud runs Zip packages only; container images (ImageUri) are not supported.');
    throw invalid(`Please provide a source for ${kind}.`);
  }
  if (bucket === undefined || key === undefined) throw invalid(`Please provide both S3Bucket and S3Key for the ${kind}.`);
  if (!s3) throw invalid('This local cloud does not serve S3, so code cannot come from S3Bucket/S3Key: upload it as ZipFile.');
  let file: { path: string; size: number };
  try {
    file = s3.objectFile(principal, region, bucket, key, version);
  } catch (e) {
    if (!(e instanceof AwsError)) throw e;
    if (e.code === 'AccessDenied') {
      throw new AwsError('AccessDeniedException', `Your access has been denied by S3, please make sure your request credentials have permission to GetObject for ${bucket}/${key}. S3 Error Code: AccessDenied. S3 Error Message: Access Denied`, 403);
    }
    throw invalid(`Error occurred while GetObject. S3 Error Code: ${e.code}. S3 Error Message: ${e.message}`);
  }
  // A zip is never much smaller than what it holds when stored, so a bigger object cannot fit unzipped.
  if (file.size > MAX_UNZIPPED_BYTES) throw invalid(`Unzipped size must be smaller than ${MAX_UNZIPPED_BYTES} bytes`);
  return unpacker.inspect({ file: file.path }, operation);
}
