import { HangarError } from '@hangar/core';
import { createHttpFunction, httpFunctionStatements, type HttpFunctionDeps } from '../http-function/component.js';
import type { Component, ComponentContext, ComponentSource, DeployResult } from '../sdk/component.js';
import { bundleExpress, expressHandler, loadAdapter, type Adapter } from './bundle.js';
import { expressInputs, type ExpressInputs } from './inputs.js';

export interface ExpressDeps extends HttpFunctionDeps {
  /** The adapter bundled into the package (default: this package's serverless-http). */
  readonly adapter?: () => Adapter;
}

/**
 * The `express` component: an Express app on Lambda behind an HTTP API. It is http-function
 * (same role, log group, API, permissions and state) with a package of its own making: the
 * user's files plus serverless-http and a generated handler that loads `inputs.entry`.
 */
export function createExpress(deps: ExpressDeps = {}): Component<ExpressInputs> {
  const fn = createHttpFunction(deps);
  const adapter = deps.adapter ?? loadAdapter;

  const asFunction = (inputs: ExpressInputs) => {
    const { entry: _entry, ...rest } = inputs;
    return { ...rest, handler: expressHandler };
  };

  const withBundle = (ctx: ComponentContext, entry: string): ComponentContext => {
    if (!ctx.source) return ctx;
    const user = ctx.source;
    const a = adapter();
    const source: ComponentSource = {
      // The adapter's version and the entry are part of the code: a change to either is a new package.
      manifestId: `${user.manifestId}+express:serverless-http@${a.version}:${entry}`,
      zip: async () => bundleExpress(await user.zip(), entry, a),
    };
    return { ...ctx, source };
  };

  return {
    name: 'express',
    description: 'An Express app on Lambda behind an HTTP API (bundled with serverless-http), with its own execution role and log group.',
    inputs: expressInputs,
    permissions: httpFunctionStatements,

    checkSource(inputs: ExpressInputs, paths: readonly string[]): void {
      if (!paths.includes(inputs.entry)) {
        throw new HangarError('EXPRESS_ENTRY_NOT_FOUND', `inputs.entry is ${inputs.entry}, but inputs.src has no such file. Add it (exporting your app: module.exports = app, or export default app), or set entry to the file that does (a path inside src, e.g. src/server.js).`, {
          details: { entry: inputs.entry },
        });
      }
    },

    async deploy(inputs: ExpressInputs, ctx: ComponentContext): Promise<DeployResult> {
      if (!ctx.source) {
        throw new HangarError('COMPONENT_SOURCE_MISSING', 'express needs your app: set inputs.src to the folder holding app.js (and its node_modules with express) and deploy again.');
      }
      return fn.deploy(asFunction(inputs), withBundle(ctx, inputs.entry));
    },

    remove(ctx: ComponentContext): Promise<void> {
      return fn.remove(ctx);
    },
  };
}
