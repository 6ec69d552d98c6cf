import { z } from 'zod';
import { sourceInput } from '../sdk/source-input.js';

/** An S3 object key the site serves as a document: a file path inside the folder, no leading `/`. */
const documentKey = (what: string) => z.string({ error: `expected the ${what} file's path inside src, e.g. index.html` })
  .min(1, { error: `expected the ${what} file's path inside src, e.g. index.html` })
  .max(1024, { error: 'expected at most 1024 characters (S3\'s key limit)' })
  .refine((k) => !k.startsWith('/') && !k.split('/').includes('..'), { error: 'expected a path inside src: no leading "/" and no ".." segment' });

export const websiteInputs = z.strictObject({
  src: sourceInput
    .optional()
    .describe('The site\'s files: a folder, or { src, hook, dist } (the CLI runs hook in src, then uploads dist).'),
  indexDocument: documentKey('index').refine((k) => !k.includes('/'), { error: 'S3 serves the index document of every folder: expected a file name without "/", e.g. index.html' })
    .default('index.html')
    .describe('Served for / and for every folder; default index.html'),
  errorDocument: documentKey('error').optional()
    .describe('Served (with status 404) for a key that does not exist; default: none, S3\'s own error page'),
  spa: z.boolean({ error: 'expected true or false' }).default(false)
    .describe('Single-page app: unknown paths are answered with the index document (error document = index; status 404 on the S3 website endpoint)'),
  private: z.boolean({ error: 'expected true or false' }).default(false)
    .describe('Keep the bucket private (no public-read policy, no website endpoint, Public Access Block fully on); serve it through CloudFront'),
}).refine((i) => !(i.spa && i.errorDocument !== undefined && i.errorDocument !== i.indexDocument), {
  error: 'spa: true serves the index document for unknown paths; remove errorDocument (or set spa: false)',
  path: ['errorDocument'],
});

export type WebsiteInputs = z.output<typeof websiteInputs>;
