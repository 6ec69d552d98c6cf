// Test support: a component that records what the engine handed it and can be told to fail.
import { HangarError } from '@hangar/core';
import type { ComponentContext } from '@hangar/components';
import { z } from 'zod';
import type { RunnableComponent } from './components.js';

export interface FakeCall {
  action: 'deploy' | 'remove';
  value?: string;
  state: Record<string, unknown>;
  instanceId: string;
  start: number;
  end: number;
  sawSecretKey: boolean;
  /** The deploy ran for --refresh (ctx.refresh). */
  refresh?: boolean;
  manifestId?: string;
  zipBytes?: number;
}

const inputs = z.object({
  value: z.string(),
  delayMs: z.number().int().min(0).default(0),
  fail: z.enum(['hangar-aws', 'raw-aws', 'plain']).optional(),
  memory: z.number().int().min(128, 'expected a whole number from 128 to 10240 (MB)').max(10240).optional(),
  leak: z.boolean().optional(),
  /** Wait (after logging, before finishing) until the test opens the gate of this name. */
  gate: z.string().optional(),
}).strict();

/** A test-controlled barrier: `entered` resolves when a run reaches it; the run goes on after `open()`. */
export interface Gate {
  readonly entered: Promise<void>;
  readonly isEntered: () => boolean;
  open(): void;
}

function createGate(): Gate & { enter(): Promise<void> } {
  let entered = false;
  let markEntered!: () => void;
  let release!: () => void;
  const enteredP = new Promise<void>((r) => { markEntered = r; });
  const opened = new Promise<void>((r) => { release = r; });
  return {
    entered: enteredP,
    isEntered: () => entered,
    open: () => release(),
    enter() {
      entered = true;
      markEntered();
      return opened;
    },
  };
}

export function fakeComponent(name = 'fake'): RunnableComponent & { calls: FakeCall[]; gate(name: string): Gate } {
  const calls: FakeCall[] = [];
  const gates = new Map<string, ReturnType<typeof createGate>>();
  const gate = (g: string) => {
    let found = gates.get(g);
    if (!found) gates.set(g, (found = createGate()));
    return found;
  };
  const pause = (ms: number, signal?: AbortSignal) => new Promise<void>((r) => {
    const stop = () => { clearTimeout(t); r(); };
    const t = setTimeout(() => { signal?.removeEventListener('abort', stop); r(); }, ms);
    signal?.addEventListener('abort', stop, { once: true });
  });
  return {
    name,
    inputs: inputs as z.ZodType<unknown>,
    permissions: ['lambda:GetFunction'],
    calls,
    gate,
    async deploy(raw: unknown, ctx: ComponentContext) {
      const i = raw as z.output<typeof inputs>;
      const start = performance.now();
      const creds = await ctx.credentials.toProvider()();
      ctx.log.info(`deploying value=${i.value}`);
      if (i.leak) ctx.log.warn(`oops: key=${creds.accessKeyId} secret=${creds.secretAccessKey} token=${creds.sessionToken}`);
      const zip = ctx.source ? await ctx.source.zip() : undefined;
      await pause(i.delayMs, ctx.signal);
      if (i.gate) await gate(i.gate).enter();
      calls.push({
        action: 'deploy', value: i.value, state: { ...ctx.state }, instanceId: ctx.instance.instanceId, start, end: performance.now(), sawSecretKey: creds.secretAccessKey.startsWith('fake-secret-'),
        ...(ctx.source ? { manifestId: ctx.source.manifestId, zipBytes: zip!.length } : {}),
        ...(ctx.refresh ? { refresh: true } : {}),
      });
      if (i.fail === 'hangar-aws') {
        throw new HangarError('COMPONENT_AWS_ERROR', `UpdateFunctionCode on fn failed (AWS ResourceConflictException, request id req-123): in progress; secret=${creds.secretAccessKey}`, {
          details: { awsCode: 'ResourceConflictException', requestId: 'req-123' },
        });
      }
      if (i.fail === 'raw-aws') {
        throw Object.assign(new Error('User is not authorized to perform: lambda:CreateFunction'), { name: 'AccessDeniedException', $metadata: { requestId: 'req-raw-9', httpStatusCode: 403 } });
      }
      if (i.fail === 'plain') throw new Error('boom');
      ctx.log.info(`deployed value=${i.value}`);
      return { outputs: { url: `https://example.test/${i.value}`, value: i.value }, state: { deployedValue: i.value, n: calls.length } };
    },
    async remove(ctx: ComponentContext) {
      const start = performance.now();
      ctx.log.info(`removing ${JSON.stringify(ctx.state)}`);
      calls.push({ action: 'remove', state: { ...ctx.state }, instanceId: ctx.instance.instanceId, start, end: performance.now(), sawSecretKey: false });
    },
  };
}
