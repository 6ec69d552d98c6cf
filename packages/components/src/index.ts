/**
 * Hangar's built-in components and the small SDK component authors use.
 *
 * The engine validates raw inputs with `validateInputs(component, raw)`, then calls
 * `component.deploy(inputs, ctx)` and stores the returned `state` and `outputs`;
 * `component.remove(ctx)` deletes what that state records.
 */
import type { Component } from './sdk/component.js';
import { createHttpFunction } from './http-function/component.js';
import { createWebsite } from './website/component.js';
import { createExpress } from './express/component.js';
import { createTable } from './table/component.js';
import { createFunction } from './function/component.js';

export type {
  Component, ComponentContext, ComponentLogger, ComponentPermissions, ComponentSource, DeployResult, InstanceRef, PermissionStatement, SourceFile, SourcePart,
} from './sdk/component.js';
export { compactPolicyJson, maxSessionPolicyChars, permissionStatements, sessionPolicyDocument, type PolicyDocument } from './sdk/permissions.js';
export { instanceResourceName, instanceTags } from './sdk/names.js';
export { validateInputs } from './sdk/validate.js';
export { componentNotFound, createComponentRegistry, nearestName, type ComponentRegistry } from './sdk/registry.js';
export { awsClientConfig, type AwsClientConfig } from './sdk/aws-clients.js';
export { awsCall, isAwsError, toComponentError } from './sdk/aws-errors.js';

export { createHttpFunction, httpFunctionPermissions, httpFunctionStatements, type HttpFunctionDeps } from './http-function/component.js';
export { httpFunctionInputs, type HttpFunctionInputs } from './http-function/inputs.js';
export { httpFunctionNames, type HttpFunctionNames } from './http-function/names.js';
export { createHttpFunctionClients, type HttpFunctionClients } from './http-function/clients.js';
export {
  planHttpFunction, currentState, observationsNeeded, configChanges, basicExecutionPolicyArn,
  type DesiredHttpFunction, type ObservedHttpFunction, type HttpFunctionOperation, type HttpFunctionPlan,
} from './http-function/plan.js';
export { applyHttpFunctionPlan, lambdaTrustPolicy, type ApplyDeps } from './http-function/apply.js';
export { observeHttpFunction, type ObserveWhat } from './http-function/observe.js';
export type { HttpFunctionState, FunctionConfig } from './http-function/state.js';

export { createWebsite, websitePermissions, websiteStatements, publicReadPolicy, type WebsiteDeps } from './website/component.js';
export { websiteInputs, type WebsiteInputs } from './website/inputs.js';
export { websiteBucketName, websiteUrl, bucketArn } from './website/names.js';
export { siteFiles, isContentHashed, contentTypeOf, cacheControlOf, type SiteFile } from './website/files.js';
export type { WebsiteState } from './website/state.js';

export { createExpress, type ExpressDeps } from './express/component.js';
export { expressInputs, type ExpressInputs } from './express/inputs.js';
export { bundleExpress, expressHandler, handlerSource as expressHandlerSource, loadAdapter as loadExpressAdapter, type Adapter as ExpressAdapter } from './express/bundle.js';
export {
  permissionsInput, compilePermissions, inlinePolicyName, accessLevels, type AccessLevel, type PermissionEntry, type IamPolicy, type IamStatement,
} from './sdk/function-permissions.js';
export { sourceInput } from './sdk/source-input.js';

export { createFunction, functionPermissions } from './function/component.js';
export { createTable, tableActions, tableName, tablePermissions, type TableDeps } from './table/component.js';
export { tableInputs, type TableInputs } from './table/inputs.js';
export { planTable, type TableOperation, type TablePlan, type PlanOptions as TablePlanOptions } from './table/plan.js';
export { applyTablePlan, type TableApplyDeps } from './table/apply.js';
export { observeTable } from './table/observe.js';
export type { TableSpec, TableState, KnownTable, IndexSpec } from './table/state.js';

/** The components this Hangar ships, in the order `listComponents()` returns them. */
export function builtinComponents(): readonly Component<unknown>[] {
  return [
    createHttpFunction() as Component<unknown>, createFunction() as Component<unknown>, createTable() as Component<unknown>,
    createWebsite() as Component<unknown>, createExpress() as Component<unknown>,
  ];
}

/** A built-in component by name (`http-function`, `function`, `table`, `website`, `express`), or undefined. */
export function getComponent(name: string): Component<unknown> | undefined {
  return builtinComponents().find((c) => c.name === name);
}

/** Every built-in component. */
export function listComponents(): readonly Component<unknown>[] {
  return builtinComponents();
}
