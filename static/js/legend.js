// legend.js: the legend, generated from the catalogue's styles for the layers
// that are switched on, with the honesty notes (schematic areas and lines,
// estimated positions).

import { symbol, lineSample, CLAIM_GLYPHS } from './symbols.js';
import { termLabel, humanize, UNKNOWN } from './labels.js';
import { rolesOf } from './catalog.js';
import { LINE_DASH, LAYER_ORDER } from './layers.js';

function item(sample, text) {
  const li = document.createElement('li');
  li.append(sample);
  const span = document.createElement('span');
  span.textContent = text;
  li.append(span);
  return li;
}

function colorItems(col, makeSample, lang) {
  const st = col.style || {};
  const items = [];
  for (const [value, color] of Object.entries(st.colors || {})) {
    const text = st.property ? termLabel(st.property, value, lang) : humanize(value);
    const li = item(makeSample(color, value), text);
    li.dataset.value = value;
    items.push(li);
  }
  return items;
}

/** hasClaims reports whether a collection's features carry claim_status (the catalogue closes its values). */
function hasClaims(col) {
  return Boolean(col.values && Array.isArray(col.values.claim_status));
}

/** claimItems explains the claim badges of point symbols. */
function claimItems(shape, lang) {
  return Object.keys(CLAIM_GLYPHS).map((c) => item(symbol({ shape, fill: '#ffffff', size: 18, claim: c }), termLabel('claim_status', c, lang)));
}

function note(text) {
  const p = document.createElement('p');
  p.className = 'legend-note';
  p.textContent = text;
  return p;
}

/** renderLegend fills el with a legend for the visible layers. */
export function renderLegend(el, cols, visible, lang = 'en') {
  el.replaceChildren();
  const add = (id, build) => {
    const col = cols.get(id);
    if (!col || !visible.has(id)) return;
    const box = document.createElement('div');
    box.className = 'legend-group';
    const h = document.createElement('h3');
    h.textContent = col.title || humanize(id);
    const ul = document.createElement('ul');
    box.append(h, ul);
    build(col, ul, box);
    el.append(box);
  };

  add('control_areas', (col, ul, box) => {
    ul.append(...colorItems(col, (c) => lineSample({ color: c, fill: c, dash: '4 3' }), lang));
    if (hasClaims(col)) ul.append(item(lineSample({ color: '#555', fill: '#ffffff', dash: '2 3' }), 'Claimed by one party or disputed (dotted edge)'));
    box.append(note('Approximate, schematic areas drawn from the reported timeline, not surveyed lines (dashed edges).'));
  });
  add('front_lines', (col, ul, box) => {
    ul.append(item(lineSample({ color: col.style.default_color, dash: LINE_DASH.front_lines }), 'Contact line between areas'));
    box.append(note('Schematic: the shared edge of two approximate areas.'));
  });
  add('border', (col, ul) => {
    ul.append(item(lineSample({ color: col.style.default_color, dash: LINE_DASH.border }), 'International border'));
  });
  add('transfer_routes', (col, ul, box) => {
    ul.append(item(lineSample({ color: col.style.default_color, dash: LINE_DASH.transfer_routes, width: 3 }), 'Transfer of detainees'));
    box.append(note('Schematic: straight origin–destination lines, not roads or flight paths.'));
  });
  const roles = rolesOf(cols);
  add(roles.sites, (col, ul, box) => {
    ul.append(...colorItems(col, (c, v) => symbol({ shape: 'square', fill: c, size: 18, unknown: v === UNKNOWN }), lang));
    ul.append(
      item(symbol({ shape: 'circle', fill: '#ffffff', size: 18 }), 'Camp'),
      item(symbol({ shape: 'square', fill: '#ffffff', size: 18 }), 'Prison'),
      item(symbol({ shape: 'square', fill: '#ffffff', size: 18, ring: true }), 'Besieged, contested or in transition (dashed ring)'),
      item(symbol({ shape: 'square', fill: '#ffffff', size: 18, estimated: true }), 'Estimated position (dotted outline), rounded to a grid no finer than its confidence'),
    );
    if (hasClaims(col)) ul.append(...claimItems('square', lang));
    box.append(note('Colour: who controlled the site on the chosen date; grey with "?": no source reports who held it after its surroundings changed hands. No badge: confirmed by two or more independent outlets.'));
  });
  add('crossings', (col, ul) => {
    ul.append(item(symbol({ shape: 'diamond', fill: '#ffffff', size: 16 }), 'Border crossing, coloured by who held the Syrian side'));
  });
  add(roles.events, (col, ul, box) => {
    ul.append(...colorItems(col, (c) => symbol({ shape: 'circle', fill: c, size: 14 }), lang));
    ul.append(item(symbol({ shape: 'circle', fill: '#ffffff', size: 18, recent: true }), 'Recent: in the last three days'));
    box.append(note('Events up to the chosen date. Events without a single place are placed at a city and marked estimated.'));
  });
  // Layers of other catalogues (such as the generated scale dataset): their colours.
  for (const id of cols.keys()) {
    if (LAYER_ORDER.includes(id) || id === roles.sites || id === roles.events) continue;
    add(id, (col, ul) => {
      const area = /Polygon/.test(col.geometry_type || '');
      ul.append(...colorItems(col, (c) => (area ? lineSample({ color: c, fill: c }) : symbol({ shape: 'circle', fill: c, size: 14 })), lang));
    });
  }
}
