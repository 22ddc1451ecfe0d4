// layers.js: the map's layers. For a date it fetches every visible dated
// layer (through the caching API client, with the layer panel's CQL2 filter
// of each collection), builds the new Leaflet layers, and only then swaps
// them for the old ones, so the map never flickers.

import { symbol, claimGlyph } from './symbols.js';
import { controllerLabel, statusLabel, isUnsettled, termLabel, UNKNOWN } from './labels.js';
import { addDays, dateOf } from './dates.js';
import { TILE_THRESHOLD, loadVectorGrid, vectorTiles } from './tiles.js';

const L = window.L;

/** LAYER_ORDER is the drawing order, bottom first, and the switcher's order. */
export const LAYER_ORDER = ['basemap', 'control_areas', 'front_lines', 'border', 'transfer_routes', 'crossings', 'facilities', 'events'];

/** RECENT_DAYS: events this many days old or newer are highlighted. */
export const RECENT_DAYS = 3;

// Events sit just below the facilities and crossings (markerPane, 600), drawn
// as badges beside their point, so that both stay clickable where they share a place.
const PANES = { base: 250, areas: 350, lines: 420, events: 590 };
const EVENT_OFFSET = 9;

/** colorFor picks a feature's colour from its collection's catalogue style. */
export function colorFor(style, props) {
  if (!style) return '#555555';
  const v = style.property && props ? props[style.property] : undefined;
  return (style.colors && v != null && style.colors[v]) || style.default_color || '#555555';
}

/** featureKey is the thing a feature is a version of (its group key value), or its id. */
export function featureKey(collection, f) {
  const gk = collection && collection.group_key;
  const v = gk && f.properties ? f.properties[gk] : null;
  return v != null && v !== '' ? String(v) : String(f.id);
}

/** featureName is the name shown for a feature, in Arabic where asked and known. */
export function featureName(f, lang = 'en') {
  const p = f.properties || {};
  if (lang === 'ar' && typeof p.name_ar === 'string' && p.name_ar) return p.name_ar;
  return typeof p.name === 'string' && p.name ? p.name : String(f.id);
}

const latestCache = new WeakMap();
const eventIdCache = new WeakMap();

/**
 * latestVersions keeps one version per thing (the one that starts last) in
 * the order things first appear; a whole-day query may return two versions
 * when something changed during the day.
 */
export function latestVersions(collection, features) {
  const hit = latestCache.get(features);
  if (hit) return hit;
  const idx = new Map();
  const out = [];
  for (const f of features) {
    const k = featureKey(collection, f);
    if (idx.has(k)) {
      const i = idx.get(k);
      if ((f.properties.valid_from || '') > (out[i].properties.valid_from || '')) out[i] = f;
      continue;
    }
    idx.set(k, out.length);
    out.push(f);
  }
  latestCache.set(features, out);
  return out;
}

/** eventDate is the date of an event feature. */
export function eventDate(f) {
  const p = f.properties || {};
  return dateOf(p.date) || dateOf(p.valid_from);
}

/** Layers manages the map's layers for one collection catalogue. */
export class Layers {
  /**
   * @param {L.Map} map
   * @param {object} api the client from api.js
   * @param {Map<string, object>} cols collections by id
   * @param {object} o
   * @param {string[]} o.ticks change dates (a date's data equals its last tick's)
   * @param {object[]} o.events every event feature, from /timeline
   * @param {string} [o.lang]
   * @param {boolean} [o.tiles] raster tiles lie beneath: draw the basemap's countries unfilled
   * @param {(sel: {collection: string, key: string}, f: object) => void} o.onSelect
   * @param {(id: string) => string|null} [o.filterFor] the CQL2 text filter of a collection, or null
   */
  constructor(map, api, cols, { ticks, events, lang = 'en', tiles = false, onSelect, filterFor = () => null }) {
    this.tiles = tiles;
    this.map = map;
    this.api = api;
    this.cols = cols;
    this.ticks = ticks;
    this.events = events;
    this.lang = lang;
    this.onSelect = onSelect;
    this.filterFor = filterFor;
    this.visible = new Set();
    this.current = new Map(); // id -> L.Layer on the map
    this.shown = new Map(); // id -> features drawn
    this.selected = null;
    this.token = 0;
    this.large = new Map(); // id -> Promise<boolean>: drawn from vector tiles
    this.root = api.root || '';
    for (const [name, z] of Object.entries(PANES)) {
      const pane = map.createPane(`cm-${name}`);
      pane.style.zIndex = String(z);
    }
  }

  /** role returns the role of collection id in the catalogue ("events", "sites" or undefined). */
  role(id) {
    const c = this.cols.get(id);
    return c && c.role;
  }

  /** ids lists the layers this catalogue has, in drawing order (other catalogues' layers last). */
  ids() {
    const known = LAYER_ORDER.filter((id) => this.cols.has(id));
    return known.concat([...this.cols.keys()].filter((id) => !LAYER_ORDER.includes(id)));
  }

  /** tiled resolves to whether a layer is large enough to be drawn from vector tiles. */
  tiled(id) {
    if (this.role(id) === 'events' || id === 'basemap') return Promise.resolve(false);
    let p = this.large.get(id);
    if (!p) {
      p = this.api
        .getJSON(`/collections/${encodeURIComponent(id)}/items?limit=1`, 'application/geo+json')
        .then((fc) => fc.numberMatched > TILE_THRESHOLD)
        .then((big) => (big ? loadVectorGrid(this.root).then(() => true, () => false) : false))
        .catch(() => false);
      this.large.set(id, p);
    }
    return p;
  }

  /** layerData is what a layer shows at date d: its features, or for a tiled layer its tiles' date and filter. */
  async layerData(id, d) {
    if (await this.tiled(id)) {
      const col = this.cols.get(id);
      return { tiles: col.dated ? this.keyDate(d) : null, filter: this.filterFor(id) };
    }
    return this.features(id, d);
  }

  /** keyDate is the last change date on or before d: the data of d equals its data. */
  keyDate(d) {
    let k = null;
    for (const t of this.ticks) if (t <= d) k = t;
    return k || d;
  }

  /** features returns a collection's features on date d that pass its filter (none for a layer drawn from tiles). */
  async features(id, d) {
    const col = this.cols.get(id);
    if (await this.tiled(id)) return [];
    if (this.role(id) === 'events') return (await this.filteredEvents()).filter((f) => eventDate(f) && eventDate(f) <= d);
    const filter = this.filterFor(id);
    if (!col.dated) return (await this.api.items(id, null, filter)).features;
    const fc = await this.api.items(id, this.keyDate(d), filter);
    return latestVersions(col, fc.features);
  }

  /**
   * filteredEvents returns the events (of every date, from /timeline) that
   * pass the events collection's filter: those whose id the server returns
   * for it.
   */
  async filteredEvents() {
    const col = [...this.cols.values()].find((c) => c.role === 'events');
    const filter = col ? this.filterFor(col.id) : null;
    if (!filter) return this.events;
    const fc = await this.api.items(col.id, null, filter);
    let ids = eventIdCache.get(fc);
    if (!ids) {
      ids = new Set(fc.features.map((f) => String(f.id)));
      eventIdCache.set(fc, ids);
    }
    return this.events.filter((f) => ids.has(String(f.id)));
  }

  /** render shows date d: fetches, builds, then swaps. It resolves to false when overtaken. */
  async render(d) {
    const token = ++this.token;
    const ids = this.ids().filter((id) => this.visible.has(id));
    const data = await Promise.all(ids.map((id) => this.layerData(id, d)));
    if (token !== this.token) return false;
    const next = new Map();
    const added = [];
    ids.forEach((id, i) => {
      const old = this.current.get(id);
      const prev = this.shown.get(id);
      const same = prev === data[i] || (prev && data[i] && 'tiles' in prev && prev.tiles === data[i].tiles && prev.filter === data[i].filter);
      if (old && same && this.role(id) !== 'events') {
        next.set(id, old); // same data: keep the layer as it is
        return;
      }
      const layer = this.build(id, data[i], d);
      next.set(id, layer);
      added.push(layer);
    });
    for (const layer of added) layer.addTo(this.map);
    for (const [id, layer] of this.current) {
      const nl = next.get(id);
      if (nl === layer) continue;
      // Tiles of the new date load after the swap: keep the old ones until
      // then (or until the new layer is itself replaced), so the map never flickers.
      if (nl && nl.cmTileURL && layer.cmTileURL) nl.once('load remove', () => this.map.removeLayer(layer));
      else this.map.removeLayer(layer);
    }
    this.current = next;
    this.shown = new Map(ids.map((id, i) => [id, data[i]]));
    this.date = d;
    this.applySelection();
    return true;
  }

  /** find returns the drawn feature of a thing, or null. */
  find(sel) {
    if (!sel) return null;
    const col = this.cols.get(sel.collection);
    const fs = this.shown.get(sel.collection);
    if (!col || !Array.isArray(fs)) return null;
    return fs.find((f) => featureKey(col, f) === sel.key) || null;
  }

  /** select marks a thing as selected on the map. */
  select(sel) {
    this.selected = sel;
    this.applySelection();
  }

  applySelection() {
    const sel = this.selected;
    for (const [id, group] of this.current) {
      if (!group.eachLayer) continue; // vector tiles: nothing to select
      group.eachLayer((layer) => {
        const el = layer.getElement && layer.getElement();
        if (!el) return;
        const on = !!sel && sel.collection === id && el.getAttribute('data-key') === sel.key;
        el.classList.toggle('cm-selected', on);
        if (layer.setStyle && on) layer.bringToFront();
      });
    }
  }

  build(id, features, d) {
    const col = this.cols.get(id);
    if (features && 'tiles' in features) {
      const pane = /Polygon/.test(col.geometry_type) ? 'cm-areas' : 'cm-lines';
      return vectorTiles(this.root, id, col, features.tiles, { pane, filter: features.filter });
    }
    const fc = { type: 'FeatureCollection', features };
    const decorate = (f, layer) => {
      const key = featureKey(col, f);
      layer.on('add', () => {
        const el = layer.getElement();
        if (!el) return;
        el.setAttribute('data-collection', id);
        el.setAttribute('data-key', key);
        el.setAttribute('data-fid', String(f.id));
        if (f.properties && typeof f.properties.controller === 'string') el.setAttribute('data-controller', f.properties.controller);
        if (f.properties && typeof f.properties.claim_status === 'string') el.setAttribute('data-claim', f.properties.claim_status);
      });
      if (id === 'basemap') return;
      const pick = () => this.onSelect({ collection: id, key }, f);
      layer.on('click', pick);
      layer.on('keydown', (e) => {
        const k = e.originalEvent && e.originalEvent.key;
        if (k === 'Enter' || k === ' ') {
          e.originalEvent.preventDefault();
          pick();
        }
      });
      const tip = document.createElement('span');
      tip.textContent = featureName(f, this.lang);
      layer.bindTooltip(tip, { direction: 'top', sticky: !layer.getLatLng, opacity: 0.95 });
    };

    switch (id) {
      case 'basemap':
        return this.buildBasemap(col, fc, decorate);
      case 'control_areas':
        return L.geoJSON(fc, {
          pane: 'cm-areas',
          style: (f) => {
            const c = colorFor(col.style, f.properties);
            return { color: c, weight: 1.2, opacity: 0.9, fillColor: c, fillOpacity: 0.32, dashArray: f.properties.approximate ? '5 4' : null, className: 'cm-area', ...claimEdge(f.properties) };
          },
          onEachFeature: decorate,
        });
      case 'front_lines':
      case 'border':
      case 'transfer_routes':
        return L.geoJSON(fc, {
          pane: 'cm-lines',
          style: (f) => ({ ...lineStyle(id, colorFor(col.style, f.properties)), ...claimEdge(f.properties, true) }),
          onEachFeature: decorate,
        });
      default:
        if (!LAYER_ORDER.includes(id) && /Polygon/.test(col.geometry_type || '')) {
          return L.geoJSON(fc, {
            pane: 'cm-areas',
            style: (f) => {
              const c = colorFor(col.style, f.properties);
              return { color: c, weight: 1.2, opacity: 0.9, fillColor: c, fillOpacity: 0.32, className: 'cm-area' };
            },
            onEachFeature: decorate,
          });
        }
        if (!LAYER_ORDER.includes(id) && /LineString/.test(col.geometry_type || '')) {
          return L.geoJSON(fc, { pane: 'cm-lines', style: (f) => lineStyle(id, colorFor(col.style, f.properties)), onEachFeature: decorate });
        }
        return L.geoJSON(fc, {
          pointToLayer: (f, latlng) => this.marker(id, col, f, latlng, d),
          onEachFeature: decorate,
        });
    }
  }

  marker(id, col, f, latlng, d) {
    const p = f.properties || {};
    const fill = colorFor(col.style, p);
    let opts;
    let label = featureName(f, this.lang);
    const unknown = p.controller === UNKNOWN;
    const claim = typeof p.claim_status === 'string' ? p.claim_status : '';
    if (this.role(id) === 'sites') {
      const ring = isUnsettled(p.status, p.controller);
      opts = { shape: p.kind === 'prison' ? 'square' : 'circle', fill, size: 26, ring, estimated: !!p.estimated, unknown, claim };
      label += `: ${controllerLabel(p.controller, this.lang)}`;
      if (p.status && p.status !== 'normal' && !(unknown && p.status === UNKNOWN)) label += `, ${statusLabel(p.status)}`;
      if (p.estimated) label += ', estimated position';
    } else if (id === 'crossings') {
      opts = { shape: 'diamond', fill, size: 20, estimated: !!p.estimated, unknown, claim };
      label += `: ${controllerLabel(p.controller, this.lang)}`;
    } else {
      const recent = this.role(id) === 'events' && eventDate(f) > addDays(d, -RECENT_DAYS);
      opts = { shape: 'circle', fill, size: recent ? 24 : 16, recent, estimated: !!p.estimated, claim };
      label += recent ? ` (${eventDate(f)}, recent)` : ` (${eventDate(f)})`;
    }
    // The badge's words, for the claims that have one (confirmed has none).
    if (claimGlyph(claim)) label += `, ${termLabel('claim_status', claim, this.lang)}`;
    const el = symbol(opts);
    const size = opts.size;
    const shift = this.role(id) === 'events' ? EVENT_OFFSET : 0;
    const icon = L.divIcon({ html: el, className: `cm-marker cm-marker-${id}${opts.recent ? ' cm-recent' : ''}`, iconSize: [size, size], iconAnchor: [size / 2 + shift, size / 2 + shift] });
    const m = L.marker(latlng, { icon, keyboard: true, pane: this.role(id) === 'events' ? 'cm-events' : 'markerPane', riseOnHover: true });
    m.on('add', () => {
      const e = m.getElement();
      if (e) e.setAttribute('aria-label', label);
    });
    return m;
  }

  buildBasemap(col, fc, decorate) {
    return L.geoJSON(fc, {
      pane: 'cm-base',
      interactive: false,
      onEachFeature: decorate,
      style: (f) => {
        const p = f.properties || {};
        const c = colorFor(col.style, p);
        if (f.geometry && f.geometry.type === 'Point') return pointStyle(c, p.kind === 'city');
        if (p.kind === 'river') return { color: c, weight: p.approximate ? 1.5 : 2, opacity: 0.9, dashArray: p.approximate ? '4 4' : null, interactive: false };
        return { color: '#9a9a9a', weight: 1, fillColor: f.id === 'country-syria' ? '#fbfaf6' : '#f1efe9', fillOpacity: this.tiles ? 0 : 1, interactive: false };
      },
      pointToLayer: (f, latlng) => {
        const p = f.properties || {};
        const big = p.kind === 'city';
        const m = L.circleMarker(latlng, { pane: 'cm-base', interactive: false, ...pointStyle(colorFor(col.style, p), big) });
        if (p.kind === 'city' || p.kind === 'town') {
          const t = document.createElement('span');
          t.textContent = featureName(f, this.lang);
          m.bindTooltip(t, { permanent: true, direction: 'right', offset: [4, 0], className: `cm-label cm-label-${p.kind}`, pane: 'cm-base', interactive: false });
        }
        return m;
      },
    });
  }
}

function pointStyle(color, big) {
  return { radius: big ? 3.5 : 2.5, color: '#ffffff', weight: 1, fillColor: color, fillOpacity: 1 };
}

/**
 * claimEdge is the style that marks a shape whose claim is one party's word
 * or disputed: a heavier dotted edge (areas and lines have no room for a badge).
 */
export function claimEdge(p, line = false) {
  if (!isDoubtful(p)) return {};
  return line ? { dashArray: '2 6', lineCap: 'round' } : { dashArray: '2 5', weight: 2.4 };
}

/** isDoubtful reports whether a feature's claim is one party's word or disputed. */
export function isDoubtful(p) {
  const c = p && p.claim_status;
  return c === 'claimed' || c === 'disputed';
}

/** lineStyle is the Leaflet style of a line layer. */
export function lineStyle(id, color) {
  switch (id) {
    case 'front_lines': return { color, weight: 2.6, opacity: 0.95, dashArray: '9 5', className: 'cm-line' };
    case 'border': return { color, weight: 2.2, opacity: 0.9, dashArray: '14 4 2 4', className: 'cm-line' };
    case 'transfer_routes': return { color, weight: 3.2, opacity: 0.95, dashArray: '1 8', lineCap: 'round', className: 'cm-line' };
    default: return { color, weight: 2 };
  }
}

/** LINE_DASH gives the legend the dash patterns of lineStyle. */
export const LINE_DASH = { front_lines: '5 3', border: '8 3 2 3', transfer_routes: '1 4' };
