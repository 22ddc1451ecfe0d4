// symbols.js: the SVG symbols of point features, built with DOM calls (no
// HTML strings), used by the map's markers and by the legend.

const SVG_NS = 'http://www.w3.org/2000/svg';

function svgEl(name, attrs) {
  const el = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/**
 * symbol returns an <svg> of the given size.
 * shape: "circle" (camps, events), "square" (prisons), "diamond" (crossings).
 * ring: a dashed ring around the symbol (besieged, contested, in transition).
 * estimated: a dotted outline instead of a solid one.
 * recent: a halo (events of the last days).
 * unknown: a question mark on the symbol (no source reports who holds it).
 * claim: a small badge for a claim that is not confirmed: "reported" (one
 *   outlet: "1"), "claimed" (one party's word: a quotation mark) or
 *   "disputed" (sources disagree: "!"); none for "confirmed" or no value.
 */
export function symbol({ shape = 'circle', fill = '#555', size = 22, ring = false, estimated = false, recent = false, unknown = false, claim = '' }) {
  const svg = svgEl('svg', { width: size, height: size, viewBox: '0 0 24 24', 'aria-hidden': 'true', focusable: 'false', class: 'cm-symbol' });
  if (recent) svg.append(svgEl('circle', { cx: 12, cy: 12, r: 11, fill: fill, 'fill-opacity': 0.3, class: 'cm-halo' }));
  if (ring) {
    svg.append(svgEl('circle', { cx: 12, cy: 12, r: 10.5, fill: 'none', stroke: '#111', 'stroke-width': 1.8, 'stroke-dasharray': '3 2.2' }));
  }
  const r = ring || recent ? 6.5 : 8;
  const stroke = estimated
    ? { stroke: '#111', 'stroke-width': 1.6, 'stroke-dasharray': '1.2 1.6' }
    : { stroke: '#111', 'stroke-width': 1.6 };
  let body;
  switch (shape) {
    case 'square':
      body = svgEl('rect', { x: 12 - r, y: 12 - r, width: 2 * r, height: 2 * r, rx: 1.5, fill, ...stroke });
      break;
    case 'diamond':
      body = svgEl('path', { d: `M12 ${12 - r - 1} L${12 + r + 1} 12 L12 ${12 + r + 1} L${12 - r - 1} 12 Z`, fill, ...stroke });
      break;
    default:
      body = svgEl('circle', { cx: 12, cy: 12, r, fill, ...stroke });
  }
  body.setAttribute('class', 'cm-body');
  svg.append(body);
  if (unknown) {
    const q = svgEl('text', { x: 12, y: 16.2, 'text-anchor': 'middle', 'font-size': 11.5, 'font-weight': 700, 'font-family': 'sans-serif', fill: '#111', class: 'cm-unknown' });
    q.textContent = '?';
    svg.append(q);
  }
  const glyph = CLAIM_GLYPHS[claim];
  if (glyph) {
    const badge = svgEl('g', { class: `cm-claim cm-claim-${claim}` });
    badge.append(svgEl('circle', { cx: 19.5, cy: 4.5, r: 4.3, fill: claim === 'disputed' ? '#111' : '#fff', stroke: '#111', 'stroke-width': 1 }));
    const t = svgEl('text', { x: 19.5, y: 7.4, 'text-anchor': 'middle', 'font-size': 7.5, 'font-weight': 700, 'font-family': 'sans-serif', fill: claim === 'disputed' ? '#fff' : '#111' });
    t.textContent = glyph;
    badge.append(t);
    svg.append(badge);
  }
  return svg;
}

/** CLAIM_GLYPHS: the badge of each claim_status that is not confirmed. */
export const CLAIM_GLYPHS = { reported: '1', claimed: '\u201c', disputed: '!' };

/** lineSample returns a short <svg> line for the legend. */
export function lineSample({ color = '#222', width = 2.5, dash = '', fill = '', fillOpacity = 0.3 }) {
  const svg = svgEl('svg', { width: 28, height: 16, viewBox: '0 0 28 16', 'aria-hidden': 'true', focusable: 'false', class: 'cm-symbol' });
  if (fill) {
    svg.append(svgEl('rect', { x: 1, y: 2, width: 26, height: 12, fill, 'fill-opacity': fillOpacity, stroke: color, 'stroke-width': 1.2, ...(dash ? { 'stroke-dasharray': dash } : {}) }));
  } else {
    svg.append(svgEl('line', { x1: 1, y1: 8, x2: 27, y2: 8, stroke: color, 'stroke-width': width, 'stroke-linecap': 'round', ...(dash ? { 'stroke-dasharray': dash } : {}) }));
  }
  return svg;
}
