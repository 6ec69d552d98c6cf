/**
 * Layout checks run inside the page: nothing may stick out past the viewport's right edge unless
 * it sits in a scroll (or clipping) container that itself fits, so a narrow screen never scrolls
 * sideways as a whole; and no table cell's content may spill over its neighbour.
 */
import type { Page } from 'playwright-core';

export const WIDTHS = { desktop: 1280, phone: 390 } as const;

export interface Overflow {
  /** The page's own scroll width, and the viewport's width. */
  scrollWidth: number;
  viewport: number;
  /** The outermost offending elements (tag.class "text…" → right edge). */
  offenders: string[];
}

/** What overflows the viewport horizontally on the current page. */
export async function findOverflow(page: Page): Promise<Overflow> {
  return page.evaluate(IN_PAGE) as Promise<Overflow>;
}

// Plain JavaScript, passed as text: the test runner's transpiler would wrap named functions in a
// helper (`__name`) the page does not have.
const IN_PAGE = `(() => {
  const vw = document.documentElement.clientWidth;
  const tolerance = 0.5;
  const clips = (s) => ['auto', 'scroll', 'hidden', 'clip'].includes(s.overflowX);
  const describe = (el, right) => {
    const cls = typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
    const text = (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
    return el.tagName.toLowerCase() + cls + ' "' + text + '" → right edge ' + Math.round(right) + ' px';
  };
  const offending = new Set();
  const offenders = [];
  for (const el of Array.from(document.body.querySelectorAll('*'))) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right <= vw + tolerance) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.position === 'fixed') continue;
    // Contained: some ancestor scrolls or clips horizontally and itself fits in the viewport.
    let contained = false;
    let outerOffender = false;
    // An absolutely positioned box is clipped only by its containing block (offsetParent) and that block's ancestors.
    const from = style.position === 'absolute' ? el.offsetParent : el.parentElement;
    for (let p = from; p && p !== document.documentElement; p = p.parentElement) {
      if (offending.has(p)) { outerOffender = true; break; }
      if (clips(getComputedStyle(p)) && p.getBoundingClientRect().right <= vw + tolerance) { contained = true; break; }
    }
    if (contained) continue;
    offending.add(el);
    if (!outerOffender) offenders.push(describe(el, r.right));
  }
  // A table cell whose content is wider than the cell spills over the next column (badges over headers).
  for (const cell of Array.from(document.querySelectorAll('th, td'))) {
    if (getComputedStyle(cell).overflowX !== 'visible' || cell.scrollWidth <= cell.clientWidth + 1) continue;
    offenders.push('content wider than its cell: ' + describe(cell, cell.getBoundingClientRect().left + cell.scrollWidth));
  }
  return { scrollWidth: document.documentElement.scrollWidth, viewport: vw, offenders: offenders.slice(0, 8) };
})()`;

/** Fails with the offending elements named when anything overflows. */
export async function assertNoOverflow(page: Page, what: string): Promise<void> {
  const o = await findOverflow(page);
  if (o.scrollWidth > o.viewport || o.offenders.length > 0) {
    throw new Error(`${what} at ${o.viewport} px overflows horizontally (page scroll width ${o.scrollWidth} px):\n  ${o.offenders.join('\n  ')}`);
  }
}
