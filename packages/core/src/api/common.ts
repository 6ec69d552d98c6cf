/** Schemas several feature contracts share (kept small: each feature owns its own shapes). */
import { z } from 'zod';

export const role = z.enum(['owner', 'admin', 'deployer', 'viewer'], { error: 'expected one of owner, admin, deployer, viewer' });
export const orgParams = z.object({ orgId: z.string().min(1) });
/** Free-form JSON objects (inputs, outputs, audit data). */
export const jsonObject = z.record(z.string(), z.unknown());
