// Bench support: a component that writes `lines` log lines `gapMs` apart, each stamped with the
// wall-clock time (ms, fractional) it was written, so a follower can measure how long it took to arrive.
import { z } from 'zod';
import type { RunnableComponent } from '../packages/engine/src/deployments/components.js';

const inputs = z.object({ lines: z.number().int().min(1), gapMs: z.number().min(0), startDelayMs: z.number().min(0) });
export const now = (): number => performance.timeOrigin + performance.now();

export const fanoutComponent: RunnableComponent = {
  name: 'fanout-bench',
  inputs: inputs as z.ZodType<unknown>,
  permissions: [],
  async deploy(raw, ctx) {
    const i = raw as z.output<typeof inputs>;
    await new Promise((r) => setTimeout(r, i.startDelayMs));
    for (let n = 0; n < i.lines; n++) {
      ctx.log.info(`t=${now()}`);
      await new Promise((r) => setTimeout(r, i.gapMs));
    }
    return { outputs: {}, state: {} };
  },
  async remove() {},
};
