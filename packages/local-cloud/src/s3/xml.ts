/** Small XML helpers: S3 answers are written as text, request bodies parsed with fast-xml-parser. */
import { XMLParser } from 'fast-xml-parser';
import { S3Error } from './errors.js';

export const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

export function esc(t: string): string {
  return t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/\r/g, '&#13;');
}

/** `<Name>value</Name>`; undefined values are left out. */
export function el(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? '' : `<${name}>${esc(String(value))}</${name}>`;
}

export function doc(root: string, inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${S3_NS}">${inner}</${root}>`;
}

const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: true, removeNSPrefix: true });

/** Parses a request body; MalformedXML (as S3) when it is not XML with the expected root. */
export function parseXml(body: Buffer, root: string): Record<string, unknown> {
  let out: unknown;
  try {
    out = parser.parse(body.toString('utf8'), true);
  } catch {
    throw malformed();
  }
  const r = (out as Record<string, unknown>)[root];
  if (r === undefined) throw malformed();
  return r === '' ? {} : (r as Record<string, unknown>);
}

export const malformed = (): S3Error => new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400);

export function asList(v: unknown): unknown[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** ISO 8601 with milliseconds, as S3 writes in XML. */
export const isoMs = (ms: number): string => new Date(ms).toISOString();
