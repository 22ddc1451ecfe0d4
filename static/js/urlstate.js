// urlstate.js: the map's state in the URL (date, view, layers, filters,
// selection, the earlier date of the change view) so that reloading or
// sharing the link restores the same map.
//
//   ?date=2026-01-21&since=2026-01-15&view=36.38,41.15,9&layers=control_areas,facilities&f.controller=sdf,government&sel=facilities:al-hol
//
// view is lat,lon,zoom; bbox=west,south,east,north may be given instead (the
// widget accepts both); the widget also takes view=chart, the area chart
// alone. since=YYYY-MM-DD turns the change view on: what changed between
// that date and date. f.PROPERTY lists the values of a property that the
// filters keep (filters.js), comma-separated (a comma or % inside a value is
// percent-encoded); absent: every value, empty: none. Unknown or malformed
// values are ignored: a value the catalogue does not offer is dropped, and a
// parameter left with no value it offers is no filter.

import { isDate } from './dates.js';

/** parseView reads "lat,lon,zoom", or null. */
export function parseView(s) {
  if (!s) return null;
  const p = s.split(',').map(Number);
  if (p.length !== 3 || p.some((n) => !Number.isFinite(n))) return null;
  const [lat, lon, zoom] = p;
  if (Math.abs(lat) > 90 || Math.abs(lon) > 180 || zoom < 0 || zoom > 20) return null;
  return { lat, lon, zoom };
}

/** parseBBox reads "west,south,east,north", or null. */
export function parseBBox(s) {
  if (!s) return null;
  const p = s.split(',').map(Number);
  if (p.length !== 4 || p.some((n) => !Number.isFinite(n))) return null;
  const [w, so, e, n] = p;
  if (w < -180 || e > 180 || so < -90 || n > 90 || w >= e || so >= n) return null;
  return [w, so, e, n];
}

/** formatView writes a view as "lat,lon,zoom". */
export function formatView(v) {
  return `${v.lat.toFixed(4)},${v.lon.toFixed(4)},${Math.round(v.zoom * 10) / 10}`;
}

/** FILTER_PREFIX starts the name of a filter parameter: f.controller=sdf,government. */
export const FILTER_PREFIX = 'f.';

// A value's own commas and percent signs are encoded, so that commas separate values.
const encodeValue = (v) => String(v).replace(/%/g, '%25').replace(/,/g, '%2C');
function decodeValue(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/**
 * readFilters reads the f.PROPERTY parameters of q for the filter options
 * (filters.js: {prop, values}): a Map prop -> Set of the values kept, only
 * for offered properties and values.
 */
export function readFilters(q, options) {
  const out = new Map();
  for (const o of options || []) {
    const raw = q.get(FILTER_PREFIX + o.prop);
    if (raw === null) continue;
    if (raw === '') {
      out.set(o.prop, new Set());
      continue;
    }
    const keep = new Set(raw.split(',').map(decodeValue).filter((v) => v !== null && o.values.includes(v)));
    if (keep.size && keep.size < o.values.length) out.set(o.prop, keep);
  }
  return out;
}

/** filterParams returns the f.PROPERTY parameters of filters (Map prop -> Set of the values kept). */
export function filterParams(filters) {
  const q = new URLSearchParams();
  for (const [prop, set] of filters || []) q.set(FILTER_PREFIX + prop, [...set].map(encodeValue).join(','));
  return q;
}

/**
 * readState parses a query string. known is the set of layer ids; a layers
 * parameter keeps only known ids, and an empty one means no layers. options
 * are the filter options (filters.js) the f.PROPERTY parameters are read
 * against.
 */
export function readState(search, known, options = []) {
  const q = new URLSearchParams(search);
  const st = {
    date: isDate(q.get('date')) ? q.get('date') : null,
    since: isDate(q.get('since')) ? q.get('since') : null,
    chart: q.get('view') === 'chart',
    view: parseView(q.get('view')),
    bbox: parseBBox(q.get('bbox')),
    layers: null,
    sel: null,
    slider: q.get('slider') !== '0',
    locked: q.get('locked') === '1',
    lang: q.get('lang') === 'ar' ? 'ar' : 'en',
    filters: readFilters(q, options),
  };
  if (q.has('layers')) {
    st.layers = q.get('layers').split(',').filter((id) => !known || known.has(id));
  }
  const sel = q.get('sel');
  if (sel && sel.includes(':')) {
    const i = sel.indexOf(':');
    const collection = sel.slice(0, i);
    const key = sel.slice(i + 1);
    if ((!known || known.has(collection)) && key) st.sel = { collection, key };
  }
  return st;
}

/** stateParams returns the query parameters of a state (date, since, view, layers, filters, sel). */
export function stateParams(st) {
  const q = new URLSearchParams();
  if (st.date) q.set('date', st.date);
  if (st.since) q.set('since', st.since);
  if (st.view) q.set('view', formatView(st.view));
  if (st.layers) q.set('layers', st.layers.join(','));
  for (const [k, v] of filterParams(st.filters)) q.set(k, v);
  if (st.sel) q.set('sel', `${st.sel.collection}:${st.sel.key}`);
  return q;
}

/** queryString writes parameters, keeping "," and ":" readable. */
export function queryString(q) {
  return q.toString().replace(/%2C/gi, ',').replace(/%3A/gi, ':');
}

/** replaceURL writes the state into the address bar without a new history entry. */
export function replaceURL(st) {
  const q = queryString(stateParams(st));
  const url = location.pathname + (q ? `?${q}` : '') + location.hash;
  if (url !== location.pathname + location.search + location.hash) {
    history.replaceState(null, '', url);
  }
}
