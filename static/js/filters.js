// filters.js: the common filters of the layer panel (controller, status,
// claim status, kind). Each is a set of checked values; all checked is no
// filter. Unchecked values make a CQL2 text filter (OGC API – Features
// Part 3) for each collection that has the property, sent as filter= on its
// items and tiles:
//
//   "controller" IN ('sdf','government') AND "claim_status" IN ('confirmed')
//
// Which collections have a property comes from their queryables; the values
// and their words from /collections: the closed value list (values), else the
// values of the style when the collection is styled by the property, else the
// catalogue's terms. Every value is written as a CQL2 string ('' for ').

import { symbol } from './symbols.js';
import { termLabel, humanize, UNKNOWN } from './labels.js';

/** FILTER_PROPERTIES are the properties the layer panel filters by, in its order. */
export const FILTER_PROPERTIES = ['controller', 'status', 'claim_status', 'kind'];

/** valuesOf returns the values a collection's property may take, as /collections gives them, or []. */
export function valuesOf(col, prop) {
  if (col.values && Array.isArray(col.values[prop]) && col.values[prop].length) return col.values[prop].map(String);
  const st = col.style;
  if (st && st.property === prop) {
    const colors = Object.keys(st.colors || {});
    const order = Array.isArray(st.order) ? st.order.map(String) : [];
    return [...new Set([...order, ...colors])];
  }
  if (col.terms && col.terms[prop]) return Object.keys(col.terms[prop]);
  return [];
}

/**
 * filterOptions lists what the panel offers: for each of FILTER_PROPERTIES
 * that some collection has (in its queryables) with known values, {prop,
 * values, cols}, where values are the values of every such collection in
 * order and cols maps each collection id to its own values. The basemap is
 * never filtered.
 */
export function filterOptions(cols, ids = [...cols.keys()]) {
  const out = [];
  for (const prop of FILTER_PROPERTIES) {
    const own = new Map();
    const values = [];
    for (const id of ids) {
      const col = cols.get(id);
      if (!col || id === 'basemap' || !Array.isArray(col.queryables) || !col.queryables.includes(prop)) continue;
      const vals = valuesOf(col, prop);
      if (!vals.length) continue;
      own.set(id, vals);
      for (const v of vals) if (!values.includes(v)) values.push(v);
    }
    if (own.size) out.push({ prop, values, cols: own });
  }
  return out;
}

/** cqlString writes a value as a CQL2 string literal: in single quotes, a quote doubled. */
export function cqlString(v) {
  return `'${String(v).replace(/'/g, "''")}'`;
}

/**
 * cqlFilter returns the CQL2 text filter of collection id for the checked
 * values (Map prop -> Set of values; a property not in it is not filtered),
 * or null when nothing filters it. For each property the collection has, it
 * keeps the checked ones of its own values; none kept is FALSE.
 */
export function cqlFilter(options, checked, id) {
  const parts = [];
  for (const o of options) {
    const own = o.cols.get(id);
    const set = checked.get(o.prop);
    if (!own || !set || own.every((v) => set.has(v))) continue;
    const keep = own.filter((v) => set.has(v));
    if (!keep.length) return 'FALSE';
    parts.push(`"${o.prop}" IN (${keep.map(cqlString).join(',')})`);
  }
  return parts.length ? parts.join(' AND ') : null;
}

/**
 * normalizeFilters keeps, in the options' order, the properties of checked
 * that the panel offers and that leave out some value, with only the values
 * offered (all checked is no filter).
 */
export function normalizeFilters(options, checked) {
  const out = new Map();
  for (const o of options) {
    const set = checked.get(o.prop);
    if (!set) continue;
    const keep = o.values.filter((v) => set.has(v));
    if (keep.length < o.values.length) out.set(o.prop, new Set(keep));
  }
  return out;
}

/** plural names n values of a property: "controller" -> "controllers", "status" -> "statuses". */
export function plural(prop, n) {
  const w = humanize(prop);
  if (n === 1) return w;
  return /(s|x|sh|ch)$/.test(w) ? `${w}es` : `${w}s`;
}

/** capitalized writes a property's name as a heading: "claim_status" -> "Claim status". */
export function capitalized(prop) {
  const w = humanize(prop);
  return w.charAt(0).toUpperCase() + w.slice(1);
}

/** filterSummary says what is filtered ("Filtered: 2 of 7 controllers, 1 of 4 claim statuses"), or "". */
export function filterSummary(options, checked) {
  const parts = [];
  for (const o of options) {
    const set = checked.get(o.prop);
    if (!set) continue;
    parts.push(`${set.size} of ${o.values.length} ${plural(o.prop, o.values.length)}`);
  }
  return parts.length ? `Filtered: ${parts.join(', ')}` : '';
}

/** filterWords lists the values kept, in words: "Syrian government, SDF; Confirmed", or "". */
export function filterWords(options, checked, lang = 'en') {
  const parts = [];
  for (const o of options) {
    const set = checked.get(o.prop);
    if (!set) continue;
    const kept = o.values.filter((v) => set.has(v)).map((v) => termLabel(o.prop, v, lang));
    const none = lang === 'ar' ? '—' : `no ${humanize(o.prop)}`;
    parts.push(kept.length ? kept.join(lang === 'ar' ? '، ' : ', ') : none);
  }
  return parts.join(lang === 'ar' ? '؛ ' : '; ');
}

/** swatchFor returns the legend's colour symbol of a value, when a collection is styled by the property, or null. */
function swatchFor(cols, o, v) {
  for (const id of o.cols.keys()) {
    const st = cols.get(id).style;
    if (st && st.property === o.prop && st.colors && Object.hasOwn(st.colors, v)) {
      const shape = cols.get(id).role === 'events' ? 'circle' : 'square';
      return symbol({ shape, fill: st.colors[v], size: 16, unknown: o.prop === 'controller' && v === UNKNOWN });
    }
  }
  return null;
}

/**
 * FilterPanel draws the "Filter" group of the layer panel into the markup of
 * the page (ids filters, filter-status, filter-clear, filter-groups): one
 * disclosure per property with a checkbox per value, the layers it applies
 * to, All and None; what is filtered, in words; and Clear filters. onChange
 * gets the normalized checked values after every change. Every word from
 * the data is set as text.
 */
export class FilterPanel {
  constructor(cols, options, checked, { onChange }) {
    this.cols = cols;
    this.options = options;
    this.onChange = onChange;
    this.checked = normalizeFilters(options, checked);
    this.root = document.getElementById('filters');
    this.status = document.getElementById('filter-status');
    this.clear = document.getElementById('filter-clear');
    this.groups = document.getElementById('filter-groups');
    this.boxes = new Map(); // prop -> checkboxes
    this.counts = new Map(); // prop -> count span
    this.details = new Map(); // prop -> <details>
    if (!options.length) return;
    this.root.hidden = false;
    for (const o of options) this.groups.append(this.group(o));
    this.clear.addEventListener('click', () => {
      this.set(new Map());
      this.changed();
      const first = this.groups.querySelector('summary');
      if (first) first.focus();
    });
    this.sync();
    for (const prop of this.checked.keys()) this.details.get(prop).open = true;
  }

  group(o) {
    const det = document.createElement('details');
    det.className = 'filter-group';
    det.dataset.property = o.prop;
    const sum = document.createElement('summary');
    const name = document.createElement('span');
    name.textContent = capitalized(o.prop);
    const count = document.createElement('span');
    count.className = 'filter-count';
    sum.append(name, document.createTextNode(' '), count);
    det.append(sum);
    const fs = document.createElement('fieldset');
    const legend = document.createElement('legend');
    legend.className = 'vh';
    legend.textContent = `Show features whose ${humanize(o.prop)} is`;
    fs.append(legend);
    const where = document.createElement('p');
    where.className = 'hint';
    where.textContent = `Applies to: ${[...o.cols.keys()].map((id) => this.cols.get(id).title || humanize(id)).join(', ')}.`;
    fs.append(where);
    const boxes = [];
    for (const v of o.values) {
      const label = document.createElement('label');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.name = `filter-${o.prop}`;
      box.value = v;
      box.addEventListener('change', () => {
        const set = new Set(boxes.filter((b) => b.checked).map((b) => b.value));
        const next = new Map(this.checked);
        next.set(o.prop, set);
        this.set(next);
        this.changed();
      });
      boxes.push(box);
      label.append(box);
      const sw = swatchFor(this.cols, o, v);
      if (sw) label.append(sw);
      const text = document.createElement('span');
      text.textContent = termLabel(o.prop, v);
      label.append(text);
      fs.append(label);
    }
    const actions = document.createElement('div');
    actions.className = 'filter-actions';
    for (const [word, all] of [['All', true], ['None', false]]) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'btn btn-small';
      b.textContent = word;
      b.setAttribute('aria-label', `${word}: ${humanize(o.prop)}`);
      b.addEventListener('click', () => {
        const next = new Map(this.checked);
        next.set(o.prop, new Set(all ? o.values : []));
        this.set(next);
        this.changed();
      });
      actions.append(b);
    }
    fs.append(actions);
    det.append(fs);
    this.boxes.set(o.prop, boxes);
    this.counts.set(o.prop, count);
    this.details.set(o.prop, det);
    return det;
  }

  /** set replaces the checked values (normalized) and redraws the panel, without telling the listener. */
  set(checked) {
    this.checked = normalizeFilters(this.options, checked);
    this.sync();
  }

  sync() {
    for (const o of this.options) {
      const set = this.checked.get(o.prop);
      for (const b of this.boxes.get(o.prop)) b.checked = !set || set.has(b.value);
      const n = o.values.length;
      this.counts.get(o.prop).textContent = set ? `(${set.size} of ${n})` : `(all ${n})`;
    }
    const summary = filterSummary(this.options, this.checked);
    this.status.textContent = summary ? `${summary}.` : 'No filter: every value is shown.';
    this.clear.hidden = !summary;
    this.root.classList.toggle('filtered', !!summary);
  }

  changed() {
    this.onChange(this.checked);
  }
}
