// picture.js: the server's picture of a view (/render.png, /render.svg,
// drawn from the data of the date): what the Share dialog offers to
// download, what the embed code shows where scripts do not run, and what the
// map page prints.

import { filterParams } from './urlstate.js';

/** The size of a picture by default, in pixels (the render's own default). */
export const PICTURE = { width: 1200, height: 675 };

/**
 * pictureBBox returns the bbox parameter of a map's bounds ([west, south,
 * east, north]), kept within what the render draws (Web Mercator), or null.
 */
export function pictureBBox(bounds) {
  if (!bounds) return null;
  const [w, s, e, n] = bounds;
  const c = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  const b = [c(w, -180, 180), c(s, -85, 85), c(e, -180, 180), c(n, -85, 85)];
  if (!(b[0] < b[2] && b[1] < b[3])) return null;
  return b.map((v) => Number(v.toFixed(5))).join(',');
}

/**
 * pictureURL returns the URL of the picture of a state: its date, the box
 * of its map (st.bounds), its layers and filters, its selection (when its
 * layer is drawn) and, when since is given, the changes since that date.
 */
export function pictureURL(base, st, { format = 'png', since = null, width = PICTURE.width, height = PICTURE.height } = {}) {
  const q = new URLSearchParams();
  if (st.date) q.set('date', st.date);
  if (since) q.set('since', since);
  const bbox = pictureBBox(st.bounds);
  if (bbox) q.set('bbox', bbox);
  if (st.layers) q.set('layers', st.layers.join(','));
  if (st.sel && (!st.layers || st.layers.includes(st.sel.collection))) q.set('feature', `${st.sel.collection}:${st.sel.key}`);
  for (const [k, v] of filterParams(st.filters)) q.set(k, v);
  q.set('width', String(width));
  q.set('height', String(height));
  return `${base}/render.${format}?${q}`;
}
