// chart.js: "Area controlled over time", a stacked step chart in plain SVG
// of the share of the mapped area each controller held (from
// /analytics/area: the collection's first date and every date its state
// changes), with a marker at the date shown that follows the slider. Each
// period between two changes is a button (one tab stop; arrow keys move
// between them, Enter or Space shows its first day); a click shows the day
// under the pointer. Under the chart: the areas at the date shown (km²
// rounded to 100 and % of the mapped area), the approximation and the
// confidence the data gives, and a table of every change for screen
// readers. Every string from the data is set as text.

import { addDays, daysBetween, words } from './dates.js';
import { controllerLabel } from './labels.js';
import { safeURL } from './panel.js';
import { areaWords, colorOf, confidenceWords, orderValues, percentWords, T } from './analytics.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const MARGIN = { left: 38, right: 10, top: 10, bottom: 22 };

function svgEl(name, attrs = {}) {
  const e = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) if (v != null) e.setAttribute(k, String(v));
  return e;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text != null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

const r1 = (n) => Math.round(n * 10) / 10;

/** entryAt returns the series entry in force on date d (the last one on or before it), or null. */
export function entryAt(series, d) {
  let hit = null;
  for (const e of series) if (e.date <= d) hit = e;
  return hit;
}

/** AreaChart draws the chart into a container element. */
export class AreaChart {
  /**
   * @param {HTMLElement} root the container (emptied)
   * @param {object} o
   * @param {object} o.api the client from api.js
   * @param {object} o.col the areas collection (analytics.js areasCollection)
   * @param {string} o.start first date of the slider
   * @param {string} o.end last date of the slider
   * @param {string} [o.lang]
   * @param {(d: string) => void} [o.onPick] a date chosen in the chart; none: the chart picks nothing
   * @param {boolean} [o.sources] list the sources of the outlines under the chart
   */
  constructor(root, { api, col, start, end, lang = 'en', onPick = null, sources = false }) {
    this.root = root;
    this.api = api;
    this.col = col;
    this.start = start;
    this.end = end;
    this.lang = lang;
    this.t = T[lang] || T.en;
    this.onPick = onPick;
    this.withSources = sources;
    this.doc = null;
    this.date = null;
    this.width = 0;
    this.buttons = [];

    this.plot = el('div', null, 'chart-plot');
    this.svg = svgEl('svg', { class: 'chart-svg', focusable: 'false' });
    this.plot.append(this.svg);
    this.when = el('p', null, 'chart-when');
    this.legend = el('ul', null, 'chart-legend');
    this.note = el('p', null, 'warn chart-note');
    // A table is never narrower than its content: the box around it is what is visually hidden.
    this.table = el('table', null, 'chart-table');
    const hidden = el('div', null, 'vh');
    hidden.append(this.table);
    this.more = el('div', null, 'chart-more');
    root.replaceChildren(this.plot, this.when, this.legend, this.note, hidden, this.more);
    if (onPick) {
      this.svg.setAttribute('role', 'group');
      this.svg.setAttribute('aria-label', this.t.chartLabel);
      this.svg.addEventListener('click', (e) => this.click(e));
    } else {
      // Nothing to operate: the words and the table say what it shows.
      this.svg.setAttribute('aria-hidden', 'true');
    }
    new ResizeObserver(() => {
      if (this.plot.clientWidth !== this.width) this.render();
    }).observe(this.plot);
  }

  /** load fetches the series (again, after the data changed) and draws it. It rejects when the API fails. */
  async load() {
    try {
      this.doc = await this.api.areaSeries(this.col.id);
    } catch (err) {
      this.doc = null;
      this.svg.replaceChildren();
      this.when.textContent = this.t.chartFailed;
      this.root.dataset.state = 'error';
      throw err;
    }
    const series = Array.isArray(this.doc.series) ? this.doc.series.filter((e) => e && typeof e.date === 'string') : [];
    series.sort((a, b) => a.date.localeCompare(b.date));
    this.series = series;
    const values = new Set();
    for (const e of series) for (const k of Object.keys(e.area_km2 || {})) values.add(k);
    this.values = orderValues(values);
    this.describe();
    this.render();
    if (this.date) this.setDate(this.date);
    this.root.dataset.state = 'ready';
  }

  /** setRange changes the span of the time axis. */
  setRange({ start, end }) {
    this.start = start;
    this.end = end;
    this.render();
  }

  /** setDate moves the marker and the words to date d. */
  setDate(d) {
    this.date = d;
    if (!this.doc) return;
    this.placeMarker();
    const e = entryAt(this.series, d);
    const lang = this.lang;
    this.legend.replaceChildren();
    this.when.textContent = e ? `${this.t.onDate(words(d, lang))}:` : this.t.noArea(words(d, lang));
    for (const v of this.values) {
      const li = el('li');
      li.dataset.controller = v;
      const key = svgEl('svg', { width: 14, height: 14, viewBox: '0 0 14 14', 'aria-hidden': 'true', focusable: 'false' });
      key.append(svgEl('rect', { x: 0.5, y: 0.5, width: 13, height: 13, rx: 2, fill: colorOf(this.col, v), stroke: '#333', 'stroke-width': 0.6 }));
      li.append(key, el('span', `${controllerLabel(v, lang)}: ${e ? this.amount(e, v) : '—'}`));
      this.legend.append(li);
    }
    this.root.dataset.date = d;
    // The tab stop follows the date shown, unless the reader is in the chart.
    if (!this.svg.contains(document.activeElement)) {
      const i = this.indexAt(d);
      this.buttons.forEach((b, j) => b.setAttribute('tabindex', j === Math.max(0, i) ? '0' : '-1'));
    }
  }

  /** amount writes the area of v in entry e: "about 48,400 km² (48%)". */
  amount(e, v) {
    const km2 = Number((e.area_km2 || {})[v]) || 0;
    if (!km2) return this.t.none;
    return `${areaWords(km2, this.lang)} (${percentWords(km2, e.total_km2, this.lang)})`;
  }

  /** indexAt is the index of the period (series entry) in force on d, or -1. */
  indexAt(d) {
    let i = -1;
    this.series.forEach((e, j) => {
      if (e.date <= d) i = j;
    });
    return i;
  }

  /** describe writes the note, the table and the sources, which do not depend on the date. */
  describe() {
    const t = this.t;
    const lang = this.lang;
    const conf = confidenceWords(Array.isArray(this.doc.confidence) ? this.doc.confidence : [], lang);
    const note = typeof this.doc.note === 'string' && this.doc.note ? this.doc.note : t.chartFallbackNote;
    this.note.textContent = t.chartNote(note, conf);

    const cap = el('caption', t.tableCaption);
    const head = el('tr');
    head.append(el('th', t.date));
    for (const v of this.values) head.append(el('th', controllerLabel(v, lang)));
    head.append(el('th', t.mapped));
    for (const th of head.children) th.setAttribute('scope', 'col');
    const thead = el('thead');
    thead.append(head);
    const tbody = el('tbody');
    for (const e of this.series) {
      const tr = el('tr');
      const th = el('th', words(e.date, lang));
      th.setAttribute('scope', 'row');
      tr.append(th);
      for (const v of this.values) tr.append(el('td', this.amount(e, v)));
      tr.append(el('td', areaWords(Number(e.total_km2) || 0, lang)));
      tbody.append(tr);
    }
    this.table.replaceChildren(cap, thead, tbody);

    this.more.replaceChildren();
    const link = el('a', t.data);
    link.href = `${this.api.root || ''}/analytics/area?collection=${encodeURIComponent(this.col.id)}`;
    const p = el('p', null, 'chart-data');
    p.append(link);
    this.more.append(p);
    const srcs = Array.isArray(this.doc.sources) ? this.doc.sources.filter((s) => s && typeof s === 'object') : [];
    if (this.withSources && srcs.length) {
      const det = el('details', null, 'chart-sources');
      det.append(el('summary', t.sources(srcs.length)));
      const ol = el('ol', null, 'sources');
      for (const s of srcs) {
        const li = el('li');
        const label = [s.publisher, s.title].filter(Boolean).join(': ') || 'source';
        const href = safeURL(s.url);
        if (href) {
          const a = el('a', label);
          a.href = href;
          a.rel = 'noopener noreferrer';
          a.target = '_blank';
          li.append(a);
        } else li.append(document.createTextNode(label));
        if (typeof s.date === 'string' && s.date) li.append(document.createTextNode(` (${words(s.date.slice(0, 10), lang) || s.date})`));
        ol.append(li);
      }
      det.append(ol);
      this.more.append(det);
    }
  }

  geometry() {
    const W = this.plot.clientWidth || 320;
    const H = this.plot.clientHeight || 180;
    const pw = Math.max(10, W - MARGIN.left - MARGIN.right);
    const ph = Math.max(10, H - MARGIN.top - MARGIN.bottom);
    const days = Math.max(1, daysBetween(this.start, this.end) + 1);
    const dayW = pw / days;
    const x = (d) => MARGIN.left + Math.min(days, Math.max(0, daysBetween(this.start, d))) * dayW;
    const y = (f) => MARGIN.top + ph * (1 - f);
    return { W, H, pw, ph, days, dayW, x, y };
  }

  /** render draws the chart at the container's size. */
  render() {
    if (!this.doc) return;
    const g = this.geometry();
    this.width = this.plot.clientWidth;
    this.geo = g;
    const { W, H, x, y } = g;
    const svg = this.svg;
    const focused = this.buttons.find((b) => b === document.activeElement);
    const focusDate = focused && focused.getAttribute('data-date');
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    svg.setAttribute('width', String(W));
    svg.setAttribute('height', String(H));
    svg.replaceChildren();
    const lang = this.lang;

    // Axes: the share of the mapped area, and the months.
    const axes = svgEl('g', { class: 'chart-axes', 'aria-hidden': 'true' });
    for (const f of [0, 0.5, 1]) {
      axes.append(svgEl('line', { x1: MARGIN.left, x2: W - MARGIN.right, y1: r1(y(f)), y2: r1(y(f)), class: f === 0 ? 'chart-base' : 'chart-grid' }));
      const label = svgEl('text', { x: MARGIN.left - 4, y: r1(y(f) + 4), 'text-anchor': 'end', class: 'chart-label' });
      label.textContent = percentWords(f, 1, lang) || (lang === 'ar' ? '٠٪' : '0%');
      axes.append(label);
    }
    const monthFmt = new Intl.DateTimeFormat(lang === 'ar' ? 'ar' : 'en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
    const labelDates = [this.start];
    for (let d = this.start; d <= this.end; d = addDays(d, 1)) if (d.endsWith('-01') && d !== this.start) labelDates.push(d);
    let lastX = -Infinity;
    for (const d of labelDates) {
      const lx = x(d);
      if (lx - lastX < 48) continue;
      lastX = lx;
      axes.append(svgEl('line', { x1: r1(lx), x2: r1(lx), y1: r1(y(0)), y2: r1(y(0) + 4), class: 'chart-base' }));
      const label = svgEl('text', { x: r1(lx), y: r1(y(0) + 15), 'text-anchor': lx === MARGIN.left ? 'start' : 'middle', class: 'chart-label' });
      label.textContent = monthFmt.format(new Date(`${d}T00:00:00Z`));
      axes.append(label);
    }

    // The stacked areas, one path per controller, first in order at the bottom.
    const segs = [];
    const endX = x(addDays(this.end, 1));
    this.series.forEach((e, i) => {
      const next = this.series[i + 1];
      if (e.date > this.end) return;
      const x0 = x(e.date);
      const x1 = next && next.date <= this.end ? x(next.date) : endX;
      if (x1 > x0) segs.push({ e, x0, x1 });
    });
    const areas = svgEl('g', { class: 'chart-areas', 'aria-hidden': 'true' });
    const base = segs.map(() => 0);
    for (const v of this.values) {
      const upper = [];
      const lower = [];
      segs.forEach((s, i) => {
        const total = Number(s.e.total_km2) || 0;
        const f = total > 0 ? (Number((s.e.area_km2 || {})[v]) || 0) / total : 0;
        const lo = base[i];
        const hi = Math.min(1, lo + f);
        base[i] = hi;
        upper.push([s.x0, y(hi)], [s.x1, y(hi)]);
        lower.unshift([s.x1, y(lo)], [s.x0, y(lo)]);
      });
      if (!upper.length) continue;
      const pts = [...upper, ...lower].map(([px, py]) => `${r1(px)} ${r1(py)}`);
      const path = svgEl('path', { d: `M${pts.join('L')}Z`, fill: colorOf(this.col, v), class: 'chart-series', 'data-controller': v });
      areas.append(path);
    }
    svg.append(areas);
    svg.append(axes);

    // A period per change: a button when the chart can pick a date.
    this.buttons = [];
    if (this.onPick) {
      const periods = svgEl('g', { class: 'chart-periods' });
      segs.forEach((s) => {
        const e = s.e;
        const parts = this.values.filter((v) => (e.area_km2 || {})[v]).map((v) => `${controllerLabel(v, lang)} ${this.amount(e, v)}`).join('; ');
        const date = e.date < this.start ? this.start : e.date;
        const b = svgEl('rect', {
          x: r1(s.x0), y: MARGIN.top, width: r1(Math.max(1, s.x1 - s.x0)), height: r1(y(0) - MARGIN.top),
          class: 'chart-period', role: 'button', tabindex: '-1', 'data-date': date, 'aria-label': this.t.chartDate(words(date, lang), parts),
        });
        b.addEventListener('keydown', (ev) => this.key(ev, b));
        b.addEventListener('focus', () => {
          this.buttons.forEach((o) => o.setAttribute('tabindex', o === b ? '0' : '-1'));
        });
        periods.append(b);
        this.buttons.push(b);
      });
      svg.append(periods);
    }

    // The date shown.
    this.marker = svgEl('g', { class: 'chart-marker', 'aria-hidden': 'true' });
    this.markerLine = svgEl('line', { y1: MARGIN.top - 4, y2: r1(y(0)) });
    this.markerDot = svgEl('path', { d: '' });
    this.marker.append(this.markerLine, this.markerDot);
    svg.append(this.marker);
    this.placeMarker();
    if (this.date) {
      const i = this.indexAt(this.date);
      this.buttons.forEach((b, j) => b.setAttribute('tabindex', j === Math.max(0, i) ? '0' : '-1'));
    } else if (this.buttons.length) this.buttons[0].setAttribute('tabindex', '0');
    if (focusDate) {
      const again = this.buttons.find((b) => b.getAttribute('data-date') === focusDate);
      if (again) again.focus();
    }
  }

  placeMarker() {
    if (!this.marker || !this.date || !this.geo) return;
    const { x, dayW } = this.geo;
    const mx = r1(x(this.date) + dayW / 2);
    this.markerLine.setAttribute('x1', String(mx));
    this.markerLine.setAttribute('x2', String(mx));
    this.markerDot.setAttribute('d', `M${r1(mx - 5)} ${MARGIN.top - 9}L${r1(mx + 5)} ${MARGIN.top - 9}L${mx} ${MARGIN.top - 2}Z`);
    this.marker.setAttribute('data-date', this.date);
    this.marker.setAttribute('data-x', String(mx));
  }

  /** click shows the day under the pointer. */
  click(ev) {
    if (!this.geo || !this.onPick) return;
    const rect = this.svg.getBoundingClientRect();
    const px = ((ev.clientX - rect.left) * this.geo.W) / (rect.width || this.geo.W);
    const i = Math.floor((px - MARGIN.left) / this.geo.dayW);
    if (i < 0 || i >= this.geo.days) return;
    this.onPick(addDays(this.start, i));
  }

  /** key moves between the periods (arrows, Home, End) and picks one (Enter, Space). */
  key(ev, b) {
    const i = this.buttons.indexOf(b);
    let j = null;
    switch (ev.key) {
      case 'Enter':
      case ' ':
        ev.preventDefault();
        this.onPick(b.getAttribute('data-date'));
        return;
      case 'ArrowLeft':
      case 'ArrowDown':
        j = Math.max(0, i - 1);
        break;
      case 'ArrowRight':
      case 'ArrowUp':
        j = Math.min(this.buttons.length - 1, i + 1);
        break;
      case 'Home':
        j = 0;
        break;
      case 'End':
        j = this.buttons.length - 1;
        break;
      default:
        return;
    }
    ev.preventDefault();
    this.buttons[j].focus();
  }
}
