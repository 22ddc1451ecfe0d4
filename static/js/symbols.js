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
 *   outlet: a "1"), "claimed" (one party's word: a quotation mark) or
 *   "disputed" (sources disagree: a "!"); none for "confirmed" or no value.
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
  // Glyphs are drawn as paths, not text: the marker's accessible name is
  // its aria-label, and a symbol has no text of its own.
  if (unknown) {
    const q = svgEl('g', { class: 'cm-unknown', fill: 'none', stroke: '#111', 'stroke-width': 2, 'stroke-linecap': 'round' });
    q.append(svgEl('path', { d: 'M9.3 9.6 A2.8 2.8 0 1 1 13.4 12.1 Q12 12.9 12 14.3' }));
    q.append(svgEl('circle', { cx: 12, cy: 17.3, r: 0.6, fill: '#111' }));
    svg.append(q);
  }
  const glyph = claimGlyph(claim);
  if (glyph) {
    const ink = claim === 'disputed' ? '#fff' : '#111';
    const badge = svgEl('g', { class: `cm-claim cm-claim-${claim}` });
    badge.append(svgEl('circle', { cx: 19.5, cy: 4.5, r: 4.3, fill: claim === 'disputed' ? '#111' : '#fff', stroke: '#111', 'stroke-width': 1 }));
    badge.append(svgEl('path', { d: glyph, fill: 'none', stroke: ink, 'stroke-width': 1.3, 'stroke-linecap': 'round', 'stroke-linejoin': 'round' }));
    svg.append(badge);
  }
  return svg;
}

/**
 * CLAIM_GLYPHS: the badge of each claim_status that is not confirmed, as a
 * path in the badge's circle (centre 19.5, 4.5): a "1" for one outlet, a
 * double quotation mark for one party's claim, a "!" for disputed.
 */
export const CLAIM_GLYPHS = Object.freeze({
  reported: 'M18.6 3.2 L19.8 2.4 L19.8 6.8',
  claimed: 'M18.2 3 Q17.6 4.2 17.9 5.2 M21 3 Q20.4 4.2 20.7 5.2',
  disputed: 'M19.5 2.2 L19.5 5 M19.5 6.8 L19.5 6.9',
});

/** claimGlyph is the badge path of a claim_status, or "" (a value from the data: own keys only). */
export function claimGlyph(claim) {
  return typeof claim === 'string' && Object.hasOwn(CLAIM_GLYPHS, claim) ? CLAIM_GLYPHS[claim] : '';
}

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
