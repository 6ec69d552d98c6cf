import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { HangarError, isHangarError, type ErrorCode } from '@hangar/core';
import type { Logger } from '../types.js';
import { storeUnavailable } from '../store/errors.js';

export interface ErrorBody { code: ErrorCode; message: string; details?: Readonly<Record<string, unknown>> }

/** Fastify's own request errors (body parsing, limits), in words a person can act on. */
function fromFastify(err: FastifyError, request: FastifyRequest): HangarError | undefined {
  const limit = request.routeOptions.bodyLimit;
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HangarError('PAYLOAD_TOO_LARGE', `The request body is larger than this endpoint accepts (${limit ?? 'the limit'} bytes); send less.`);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new HangarError('VALIDATION_FAILED', `body: not valid JSON${err.message && !err.message.startsWith('Body is not valid JSON') ? ` (${err.message})` : ''}; send a JSON document with content-type application/json.`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HangarError('VALIDATION_FAILED', 'body: empty, but content-type says application/json; send a JSON document, or no content-type.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HangarError('VALIDATION_FAILED', `body: content-type ${JSON.stringify(request.headers['content-type'] ?? '')} is not accepted here; send application/json.`);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HangarError('VALIDATION_FAILED', 'body: its size does not match the Content-Length header.');
  }
  if (err instanceof SyntaxError && err.statusCode === 400) {
    return new HangarError('VALIDATION_FAILED', `body: not valid JSON (${err.message}); send a JSON document with content-type application/json.`);
  }
  if (err.validation) {
    return new HangarError('VALIDATION_FAILED', err.message);
  }
  if (typeof err.statusCode === 'number' && err.statusCode === 413) {
    return new HangarError('PAYLOAD_TOO_LARGE', 'The request body is larger than allowed; send less.');
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 && err.code?.startsWith('FST_')) {
    return new HangarError('VALIDATION_FAILED', `The request could not be read: ${err.message}`);
  }
  return undefined;
}

/**
 * The one place errors become responses: a HangarError is answered as `{code, message}` with its
 * status; Fastify's parse errors as VALIDATION_FAILED / PAYLOAD_TOO_LARGE; anything else is logged
 * with the request id and answered as a bare 500 so internals never leak.
 */
export function createErrorHandler(logger: Logger) {
  return function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const known = isHangarError(error) ? error : (fromFastify(error as FastifyError, request) ?? storeUnavailable(error));
    if (known && known.code !== 'INTERNAL' && known.status < 500) {
      return reply.status(known.status).send(known.toJSON());
    }
    if (known && known.status >= 500 && known.code !== 'INTERNAL') {
      logger.warn('request failed', { reqId: request.id, method: request.method, route: request.routeOptions.url, code: known.code, err: error });
      return reply.status(known.status).send(known.toJSON());
    }
    logger.error('request failed', { reqId: request.id, method: request.method, route: request.routeOptions.url, err: error });
    const body: ErrorBody = { code: 'INTERNAL', message: `Internal error (request ${request.id})` };
    return reply.status(500).send(body);
  };
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?')[0] ?? '';
  const body: ErrorBody = { code: 'NOT_FOUND', message: `No such endpoint: ${request.method} ${path.slice(0, 200)}. The API reference is docs/api.md.` };
  return reply.status(404).send(body);
}
