/** Errors rendered in each protocol's wire shape, so SDK v3 clients name them correctly. */
import { XMLBuilder } from 'fast-xml-parser';
import { AwsError, type Service, type ServiceResponse } from '../internal/contract.js';

export type Protocol = Service['protocol'];

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: false });

const XMLNS: Record<string, string> = {
  iam: 'https://iam.amazonaws.com/doc/2010-05-08/',
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
};

export function renderError(err: AwsError, protocol: Protocol, requestId: string, signingName?: string): ServiceResponse {
  const headers: Record<string, string> = { 'x-amzn-requestid': requestId };
  if (protocol === 'query') {
    const body = builder.build({
      ErrorResponse: {
        ...(signingName && XMLNS[signingName] ? { '@_xmlns': XMLNS[signingName] } : {}),
        Error: { Type: err.type, Code: err.code, Message: err.message },
        RequestId: requestId,
      },
    }) as string;
    return { status: err.status, headers: { ...headers, 'content-type': 'text/xml' }, body };
  }
  if (protocol === 'rest-xml') {
    const esc = (t: string): string => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    headers['x-amz-request-id'] = requestId;
    return {
      status: err.status, headers: { ...headers, 'content-type': 'application/xml' },
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${esc(err.code)}</Code><Message>${esc(err.message)}</Message><RequestId>${requestId}</RequestId></Error>`,
    };
  }
  headers['x-amzn-errortype'] = err.code;
  if (protocol === 'json') {
    return {
      status: err.status, headers: { ...headers, 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify({ __type: err.code, message: err.message }),
    };
  }
  return {
    status: err.status, headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ Type: err.type === 'Sender' ? 'User' : 'Service', message: err.message }),
  };
}

/** Guesses the protocol of a request that named no service (unsigned or unparseable). */
export function guessProtocol(contentType: string | undefined): Protocol {
  const ct = (contentType ?? '').toLowerCase();
  if (ct.includes('x-www-form-urlencoded')) return 'query';
  if (ct.includes('x-amz-json')) return 'json';
  return 'rest-json';
}

export type AuthFailure = 'unknown-key' | 'bad-signature' | 'expired-token' | 'missing' | 'incomplete' | 'too-large';

/** AWS's code and status for each authentication failure, per protocol family. */
export function authError(kind: AuthFailure, protocol: Protocol, message?: string): AwsError {
  if (protocol === 'rest-xml') return s3AuthError(kind, message);
  const json = protocol === 'json';
  const query = protocol === 'query';
  // awsJson services answer auth failures with 400; query and rest-json services with 403.
  const status = json ? 400 : 403;
  switch (kind) {
    case 'unknown-key':
      return new AwsError(query ? 'InvalidClientTokenId' : 'UnrecognizedClientException', message ?? 'The security token included in the request is invalid.', status);
    case 'bad-signature':
      return new AwsError(query ? 'SignatureDoesNotMatch' : 'InvalidSignatureException', message ??
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.', status);
    case 'expired-token':
      return new AwsError(query ? 'ExpiredToken' : 'ExpiredTokenException', message ?? 'The security token included in the request is expired', status);
    case 'missing':
      return new AwsError(query ? 'MissingAuthenticationToken' : 'MissingAuthenticationTokenException', message ?? 'Request is missing Authentication Token', status);
    case 'incomplete':
      return new AwsError(query ? 'IncompleteSignature' : 'IncompleteSignatureException', message ?? 'The request signature is incomplete.', 400);
    case 'too-large':
      return new AwsError(query ? 'RequestEntityTooLarge' : 'RequestEntityTooLargeException', message ?? 'Request must be smaller than the maximum request size.', 413);
  }
}

/** S3's own codes for the same failures (it answers in XML, with its own names). */
function s3AuthError(kind: AuthFailure, message?: string): AwsError {
  switch (kind) {
    case 'unknown-key':
      return new AwsError('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', 403);
    case 'bad-signature':
      return new AwsError('SignatureDoesNotMatch', message ?? 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', 403);
    case 'expired-token':
      return new AwsError('ExpiredToken', 'The provided token has expired.', 400);
    case 'missing':
      return new AwsError('AccessDenied', 'Access Denied', 403);
    case 'incomplete':
      return new AwsError('AuthorizationHeaderMalformed', message ?? 'The authorization header is malformed.', 400);
    case 'too-large':
      return new AwsError('EntityTooLarge', message ?? 'Your proposed upload exceeds the maximum allowed size', 400);
  }
}
