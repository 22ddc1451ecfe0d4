// change.js: the "changes since" view. For an earlier date and the date
// shown it asks /analytics/change for the regions of the areas collection
// that changed hands and the sites that changed, draws the regions over the
// map (hatched in the colour of the side that gained them, outlined in the
// colour of the side that lost them; SVG patterns, which Leaflet's SVG
// renderer takes as a fill) and rings the sites, and writes the same in
// words: each region with its area rounded to 100 km² and the confidence of
// the outlines it comes from, each site with who held it before and after.
// Every string from the data is set as text.

import { words } from './dates.js';
import { controllerLabel, termLabel } from './labels.js';
import { areasCollection, areaWords, colorOf, confidenceWords, T } from './analytics.js';
import { rolesOf } from './catalog.js';

const L = window.L;
const SVG_NS = 'http://www.w3.org/2000/svg';
const PANE = 'cm-change';
const PANE_Z = 400; // above the areas (350), below the lines (420) and markers

function svgEl(name, attrs) {
  const el = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text != null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

/**
 * Hatches holds one SVG pattern per controller colour, in a hidden <svg> of
 * the page: a fill "url(#id)" in any SVG of the same document uses it.
 */
class Hatches {
  constructor(col) {
    this.col = col;
    this.ids = new Map(); // colour -> id
    this.svg = svgEl('svg', { class: 'cm-patterns', width: 0, height: 0, 'aria-hidden': 'true', focusable: 'false' });
    this.defs = svgEl('defs', {});
    this.svg.append(this.defs);
    document.body.append(this.svg);
  }

  /** fill returns the fill of a region gained by value: url(#pattern). */
  fill(value) {
    const color = colorOf(this.col, value);
    let id = this.ids.get(color);
    if (!id) {
      id = `cm-hatch-${this.ids.size}`;
      this.ids.set(color, id);
      const p = svgEl('pattern', { id, patternUnits: 'userSpaceOnUse', width: 8, height: 8, patternTransform: 'rotate(45)' });
      p.append(
        svgEl('rect', { width: 8, height: 8, fill: color, 'fill-opacity': 0.18 }),
        svgEl('rect', { width: 3, height: 8, fill: color, 'fill-opacity': 0.9 }),
      );
      this.defs.append(p);
    }
    return `url(#${id})`;
  }

  /** swatch is a small legend sample of a region from one side to another. */
  swatch(from, to) {
    const s = svgEl('svg', { width: 22, height: 16, viewBox: '0 0 22 16', 'aria-hidden': 'true', focusable: 'false', class: 'change-swatch' });
    s.append(svgEl('rect', { x: 1.5, y: 1.5, width: 19, height: 13, fill: this.fill(to), stroke: colorOf(this.col, from), 'stroke-width': 2.5 }));
    return s;
  }
}

/** defaultSince is the slider's change before the one whose state date d shows (the collection's start when none). */
export function defaultSince(ticks, d, start) {
  let key = null;
  for (const t of ticks) if (t <= d) key = t;
  let prev = null;
  for (const t of ticks) if (t < (key || d)) prev = t;
  return prev || start;
}

/** ChangeView draws and describes the changes between two dates. */
export class ChangeView {
  /**
   * @param {L.Map} map
   * @param {object} api the client from api.js
   * @param {Map<string, object>} cols the catalogue
   * @param {object} o
   * @param {HTMLElement} o.el where the words go
   * @param {string} [o.lang]
   * @param {number} [o.level] heading level of the lists (3 under a box's h2)
   * @param {(d: string) => string} [o.keyDate] the change date whose data equals d's (Layers.keyDate)
   * @param {(key: string, f: object) => void} [o.onPickSite] makes each site's name a button
   * @param {boolean} [o.zoom] adds a button per region that fits the map to it
   */
  constructor(map, api, cols, { el: out, lang = 'en', level = 3, keyDate = (d) => d, onPickSite = null, zoom = false }) {
    this.map = map;
    this.api = api;
    this.cols = cols;
    this.out = out;
    this.lang = lang;
    this.t = T[lang] || T.en;
    this.level = level;
    this.keyDate = keyDate;
    this.onPickSite = onPickSite;
    this.zoom = zoom;
    this.areas = areasCollection(cols);
    const sitesId = rolesOf(cols).sites;
    this.sites = sitesId ? cols.get(sitesId) : null;
    this.token = 0;
    this.layer = null;
    this.hatches = null;
    if (!map.getPane(PANE)) map.createPane(PANE).style.zIndex = String(PANE_Z);
  }

  /** clear removes the overlay and the words. */
  clear() {
    this.token++;
    this.removeLayer();
    this.out.replaceChildren();
    delete document.body.dataset.renderedSince;
  }

  removeLayer() {
    if (this.layer) this.map.removeLayer(this.layer);
    this.layer = null;
  }

  /**
   * show draws the changes from since to date. It resolves to false when
   * overtaken by another call, else true.
   */
  async show(since, date) {
    const token = ++this.token;
    const t = this.t;
    if (!(since < date)) {
      this.removeLayer();
      this.out.replaceChildren(el('p', t.notBefore(words(since, this.lang), words(date, this.lang)), 'warn'));
      document.body.dataset.renderedSince = `${since}/${date}`;
      return true;
    }
    if (!this.out.childElementCount) this.out.replaceChildren(el('p', t.loading, 'hint'));
    let regions;
    let sites;
    let versions;
    try {
      const areas = this.areas;
      const none = { features: [] };
      const [r, s, before, after, named] = await Promise.all([
        areas ? this.api.changes(areas.id, since, date) : none,
        this.sites ? this.api.changes(this.sites.id, since, date) : none,
        areas ? this.api.items(areas.id, this.keyDate(since)) : none,
        areas ? this.api.items(areas.id, this.keyDate(date)) : none,
        // The sites' Arabic names, which the changes do not carry.
        this.sites && this.lang === 'ar' ? this.api.items(this.sites.id, this.keyDate(date)) : none,
      ]);
      this.namesAr = new Map();
      const gk = this.sites && this.sites.group_key;
      for (const f of named.features) {
        const p = f.properties || {};
        if (gk && p[gk] != null && typeof p.name_ar === 'string' && p.name_ar) this.namesAr.set(String(p[gk]), p.name_ar);
      }
      regions = r.features || [];
      sites = s.features || [];
      versions = new Map();
      for (const f of [...before.features, ...after.features]) versions.set(String(f.id), f.properties || {});
    } catch (err) {
      if (token !== this.token) return false;
      this.removeLayer();
      this.out.replaceChildren(el('p', t.failed, 'warn'));
      console.warn(err);
      return true;
    }
    if (token !== this.token) return false;
    this.draw(regions, sites);
    this.describe(since, date, regions, sites, versions);
    document.body.dataset.renderedSince = `${since}/${date}`;
    return true;
  }

  /** draw replaces the overlay: hatched regions and rings around the sites. */
  draw(regions, sites) {
    if (!this.hatches) this.hatches = new Hatches(this.areas);
    const prop = (this.areas && this.areas.style && this.areas.style.property) || 'controller';
    const group = L.layerGroup();
    this.regionLayers = [];
    for (const f of regions) {
      const p = f.properties || {};
      const from = p[`from_${prop}`];
      const to = p[`to_${prop}`];
      const layer = L.geoJSON(f, {
        pane: PANE,
        interactive: false,
        style: () => ({ color: colorOf(this.areas, from), weight: 2.5, opacity: 1, fillColor: this.hatches.fill(to), fillOpacity: 1, className: 'cm-change-region' }),
        onEachFeature: (_, l) => l.on('add', () => {
          const e = l.getElement();
          if (!e) return;
          e.setAttribute('data-change-from', String(from));
          e.setAttribute('data-change-to', String(to));
        }),
      });
      this.regionLayers.push(layer);
      group.addLayer(layer);
    }
    const sitesCol = this.sites;
    for (const f of sites) {
      const g = f.geometry;
      if (!g || g.type !== 'Point') continue;
      const p = f.properties || {};
      const ring = L.circleMarker([g.coordinates[1], g.coordinates[0]], {
        pane: PANE, interactive: false, radius: 17, fill: false, weight: 3, opacity: 1, className: 'cm-change-site',
        color: colorOf(sitesCol, p.from_controller), dashArray: p.from_controller === p.to_controller ? '3 4' : null,
      });
      const key = sitesCol && sitesCol.group_key && p[sitesCol.group_key] != null ? String(p[sitesCol.group_key]) : String(f.id);
      ring.on('add', () => {
        const e = ring.getElement();
        if (e) e.setAttribute('data-change-site', key);
      });
      group.addLayer(ring);
    }
    group.addTo(this.map);
    this.removeLayer();
    this.layer = group;
  }

  heading(text) {
    return el(`h${this.level}`, text, 'changes-heading');
  }

  /** fromTo writes "A → B", the arrow read as "to". */
  fromTo(li, from, to) {
    const arrow = el('span', this.t.arrow);
    arrow.setAttribute('aria-hidden', 'true');
    li.append(el('span', from), arrow, el('span', ` ${this.t.to} `, 'vh'), el('span', to));
  }

  /** describe writes the changes in words. */
  describe(since, date, regions, sites, versions) {
    const t = this.t;
    const lang = this.lang;
    const out = [];
    out.push(el('p', t.changesTitle(words(since, lang), words(date, lang)), 'changes-title'));
    const prop = (this.areas && this.areas.style && this.areas.style.property) || 'controller';

    // Regions, the largest first.
    out.push(this.heading(t.regions));
    const sorted = regions.map((f, i) => ({ f, i })).sort((a, b) => (b.f.properties.area_km2 || 0) - (a.f.properties.area_km2 || 0));
    const every = [];
    if (!sorted.length) out.push(el('p', t.noRegion, 'changes-none'));
    else {
      const ul = el('ul', null, 'changes-list changes-regions');
      for (const { f, i } of sorted) {
        const p = f.properties || {};
        const from = p[`from_${prop}`];
        const to = p[`to_${prop}`];
        const conf = (Array.isArray(p.versions) ? p.versions : []).map((id) => (versions.get(String(id)) || {}).confidence);
        every.push(...conf);
        const li = el('li');
        li.dataset.from = String(from);
        li.dataset.to = String(to);
        li.append(this.hatches.swatch(from, to));
        const text = el('span', null, 'changes-text');
        this.fromTo(text, controllerLabel(from, lang), controllerLabel(to, lang));
        text.append(document.createTextNode(`: ${areaWords(Number(p.area_km2) || 0, lang)} (${t.regionConfidence(confidenceWords(conf, lang))})`));
        li.append(text);
        if (this.zoom && this.regionLayers[i]) {
          const b = el('button', lang === 'ar' ? 'عرض' : 'Show', 'btn btn-small');
          b.type = 'button';
          b.setAttribute('aria-label', `${lang === 'ar' ? 'عرض على الخريطة' : 'Show on the map'}: ${controllerLabel(from, lang)} ${t.to} ${controllerLabel(to, lang)}`);
          const layer = this.regionLayers[i];
          b.addEventListener('click', () => this.map.fitBounds(layer.getBounds(), { padding: [20, 20] }));
          li.append(b);
        }
        ul.append(li);
      }
      out.push(ul);
      out.push(el('p', t.approxChange(confidenceWords(every, lang)), 'warn changes-approx'));
      out.push(el('p', t.hatch, 'hint'));
    }

    // Sites: those that changed hands, then those whose status alone changed.
    const moved = sites.filter((f) => f.properties.from_controller !== f.properties.to_controller);
    const status = sites.filter((f) => f.properties.from_controller === f.properties.to_controller);
    out.push(this.heading(t.sites));
    if (!moved.length) out.push(el('p', t.noSite, 'changes-none'));
    else out.push(this.siteList(moved, true));
    if (status.length) {
      out.push(this.heading(t.statusOnly));
      out.push(this.siteList(status, false));
    }
    this.out.replaceChildren(...out);
  }

  siteList(list, moved) {
    const t = this.t;
    const lang = this.lang;
    const col = this.sites;
    const ul = el('ul', null, 'changes-list changes-sites');
    for (const f of list) {
      const p = f.properties || {};
      const key = col && col.group_key && p[col.group_key] != null ? String(p[col.group_key]) : String(f.id);
      const name = (lang === 'ar' && this.namesAr && this.namesAr.get(key)) || (typeof p.name === 'string' && p.name ? p.name : key);
      const li = el('li');
      li.dataset.site = key;
      if (this.onPickSite) {
        const b = el('button', name, 'linklike');
        b.type = 'button';
        b.addEventListener('click', () => this.onPickSite(key, f));
        li.append(b);
      } else {
        li.append(el('span', name, 'changes-site-name'));
      }
      li.append(document.createTextNode(': '));
      const text = el('span', null, 'changes-text');
      if (moved) this.fromTo(text, controllerLabel(p.from_controller, lang), controllerLabel(p.to_controller, lang));
      else {
        text.append(document.createTextNode(`${controllerLabel(p.to_controller, lang)}; ${t.status}: `));
        this.fromTo(text, termLabel('status', p.from_status || '', lang), termLabel('status', p.to_status || '', lang));
      }
      li.append(text);
      const notes = [];
      if (moved && p.from_status !== p.to_status && p.to_status) notes.push(termLabel('status', p.to_status, lang));
      if (typeof p.to_claim_status === 'string' && p.to_claim_status) notes.push(termLabel('claim_status', p.to_claim_status, lang));
      if (p.estimated === true) notes.push(t.estimated);
      if (notes.length) li.append(document.createTextNode(` (${notes.join(t.sep)})`));
      ul.append(li);
    }
    return ul;
  }
}
