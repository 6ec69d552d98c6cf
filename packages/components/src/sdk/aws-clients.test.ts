import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ListFunctionsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SessionCredentials } from '@hangar/core';
import type { FinalizeRequestMiddleware, MetadataBearer } from '@smithy/types';
import { awsClientConfig } from './aws-clients.js';

/** Sends one request through the client's stack and returns where it would have gone and with which key, sending nothing. */
async function destination(client: LambdaClient): Promise<{ host: string; auth: string }> {
  const stop: FinalizeRequestMiddleware<object, MetadataBearer> = () => async (args) => {
    const req = args.request as { hostname: string; port?: number; headers: Record<string, string> };
    throw Object.assign(new Error('captured'), { captured: { host: `${req.hostname}${req.port ? `:${req.port}` : ''}`, auth: req.headers.authorization ?? '' } });
  };
  client.middlewareStack.add(stop, { step: 'finalizeRequest', priority: 'low', name: 'captureDestination' });
  try {
    await client.send(new ListFunctionsCommand({}));
  } catch (e) {
    const captured = (e as { captured?: { host: string; auth: string } }).captured;
    if (captured) return captured;
    throw e;
  } finally {
    client.destroy();
  }
  assert.fail('the request was not captured');
}

test('clients sign with the context credentials, read afresh after a refresh, and go only to the context endpoint', async () => {
  process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9/evil';
  process.env.AWS_ENDPOINT_URL_LAMBDA = 'http://127.0.0.1:9/evil';
  try {
    let credentials = new SessionCredentials({ accessKeyId: 'ASIAFIRSTKEY00000001', secretAccessKey: 's1', sessionToken: 't1' });
    const ctx = { get credentials() { return credentials; }, region: 'eu-west-1' };
    const real = await destination(new LambdaClient(awsClientConfig(ctx)));
    assert.equal(real.host, 'lambda.eu-west-1.amazonaws.com');
    assert.match(real.auth, /Credential=ASIAFIRSTKEY00000001\//);

    credentials = new SessionCredentials({ accessKeyId: 'ASIASECONDKEY0000002', secretAccessKey: 's2', sessionToken: 't2' });
    const local = await destination(new LambdaClient(awsClientConfig({ ...ctx, credentials, endpoint: 'http://127.0.0.1:4566' })));
    assert.equal(local.host, '127.0.0.1:4566');
    assert.match(local.auth, /Credential=ASIASECONDKEY0000002\//);
  } finally {
    delete process.env.AWS_ENDPOINT_URL;
    delete process.env.AWS_ENDPOINT_URL_LAMBDA;
  }
});
