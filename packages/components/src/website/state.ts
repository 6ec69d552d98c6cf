import { z } from 'zod';

/** What the website component remembers between deploys; each part is written as soon as it is true. */
export const websiteStateSchema = z.object({
  bucket: z.object({ name: z.string(), region: z.string() }).optional(),
  /** How the bucket is exposed: `public` (public-read policy, Public Access Block relaxed for it) or `private`. */
  access: z.enum(['public', 'private']).optional(),
  /** The website configuration last put; absent when none is set (a private site). */
  website: z.object({ indexDocument: z.string(), errorDocument: z.string().optional() }).optional(),
  /** Key → content hash (bytes and headers) of every object uploaded. */
  files: z.record(z.string(), z.string()).default({}),
  /** The package the files came from: equal ids mean no file can have changed. */
  manifestId: z.string().optional(),
});
export type WebsiteState = z.output<typeof websiteStateSchema>;
