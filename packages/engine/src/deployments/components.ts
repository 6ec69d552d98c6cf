import type { ComponentContext, ComponentPermissions } from '@hangar/components';
import type { z } from 'zod';

/** What the engine needs of a component (structurally the `Component` of @hangar/components). */
export interface RunnableComponent {
  readonly name: string;
  readonly inputs: z.ZodType<unknown>;
  /** Statements per instance, or bare actions (see @hangar/components); the deployment's session is narrowed to them. */
  readonly permissions: ComponentPermissions;
  /** Checks the inputs against the uploaded source's paths; throws a HangarError naming the fix. */
  checkSource?(inputs: unknown, paths: readonly string[]): void;
  deploy(inputs: unknown, ctx: ComponentContext): Promise<{ outputs: Record<string, unknown>; state: Record<string, unknown> }>;
  remove(ctx: ComponentContext): Promise<void>;
}

/** Finds a component by name; undefined when there is none. Defaults to @hangar/components' getComponent. */
export type ComponentLookup = (name: string) => RunnableComponent | undefined;
