/**
 * Test support for the components' `*.local-cloud.test.ts`: a local cloud with one account, and
 * AWS calls counted on the wire (a middleware on each SDK client records the command's name), so
 * "no update call" is checked on the wire, not inferred from the plan.
 */
import { SessionCredentials } from '@hangar/core';
import { createAccount, startLocalCloud, type LocalCloud } from '@hangar/local-cloud';
import type { InitializeMiddleware, MetadataBearer, MiddlewareStack } from '@smithy/types';
import { createHttpFunctionClients, type HttpFunctionClients } from '../http-function/clients.js';
import type { ComponentContext } from '../sdk/component.js';

/** A local cloud on port 0 (silent) and the root credentials of a fresh account in it. */
export async function startCloudWithAccount(accountId: string): Promise<{ cloud: LocalCloud; credentials: SessionCredentials }> {
  const cloud = await startLocalCloud({ port: 0, log: () => {} });
  const root = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId });
  return { cloud, credentials: new SessionCredentials({ accessKeyId: root.accessKeyId, secretAccessKey: root.secretAccessKey }) };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any SDK client's stack, whatever its service's types
interface Countable { readonly middlewareStack: MiddlewareStack<any, any> }

export interface CallCounter {
  /** Adds the counting middleware to `client` and returns it. */
  count<C extends Countable>(client: C): C;
  /** The command names (without `Command`) counted since the last look. */
  taken(): string[];
}

export function createCallCounter(): CallCounter {
  const calls: string[] = [];
  function counter<I extends object, O extends MetadataBearer>(): InitializeMiddleware<I, O> {
    return (next, context) => async (args) => {
      calls.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    };
  }
  return {
    count(client) {
      client.middlewareStack.add(counter(), { step: 'initialize', name: 'hangarCountCalls' });
      return client;
    },
    taken: () => calls.splice(0),
  };
}

/** http-function's clients with every call counted; each set made is pushed to `made` (to destroy after). */
export function countingHttpFunctionClients(counter: CallCounter, made: HttpFunctionClients[]): (ctx: ComponentContext) => HttpFunctionClients {
  return (ctx) => {
    const clients = createHttpFunctionClients(ctx);
    counter.count(clients.iam);
    counter.count(clients.lambda);
    counter.count(clients.apigw);
    counter.count(clients.logs);
    made.push(clients);
    return clients;
  };
}
