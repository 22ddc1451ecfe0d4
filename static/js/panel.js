// panel.js: the details panel of the selected feature: its name (and Arabic
// name), its status on the chosen date, figures with their dates, sources as
// links, and warnings for estimated positions and approximate shapes. Every
// value from the data is set as text.

import { controllerLabel, statusLabel, humanize, termLabel } from './labels.js';
import { dateOf, words } from './dates.js';
import { eventDate, featureName } from './layers.js';

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text != null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

/** safeURL returns the URL if it is http(s), else null. */
export function safeURL(u) {
  if (typeof u !== 'string') return null;
  try {
    const parsed = new URL(u);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}

function formatNumber(v) {
  return typeof v === 'number' ? v.toLocaleString('en-GB') : String(v);
}

/**
 * roundingWords names the step of a grid of deg degrees north–south, as
 * "about 6 km" or "about 100 m" (0.05° and 0.001°): the map says a position
 * was rounded to it.
 */
export function roundingWords(deg) {
  const km = deg * 111.32; // one degree of latitude
  if (km < 1) return `about ${Math.max(10, Math.round(km * 10) * 100)} m`;
  return `about ${km < 10 ? Math.round(km) : Math.round(km / 5) * 5} km`;
}

function dl(rows) {
  const d = el('dl', null, 'facts');
  for (const [k, v] of rows) {
    if (v == null || v === '') continue;
    d.append(el('dt', k), el('dd', v));
  }
  return d;
}

/** Panel shows one feature at a time in the #panel section. */
export class Panel {
  constructor({ onClose }) {
    this.section = document.getElementById('panel');
    this.title = document.getElementById('panel-title');
    this.body = document.getElementById('panel-body');
    this.returnFocus = null;
    document.getElementById('panel-close').addEventListener('click', () => onClose());
    this.section.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') onClose();
    });
  }

  /**
   * show displays feature f of collection col on date d. When f is null the
   * thing has no version on that date (that passes the filters, when
   * filtered). focus moves the focus to the title.
   */
  show(col, f, d, { focus = false, name = '', filtered = false } = {}) {
    if (focus && !this.section.contains(document.activeElement)) this.returnFocus = document.activeElement;
    this.section.hidden = false;
    const b = this.body;
    b.replaceChildren();
    if (!f) {
      this.title.textContent = name || 'Not on the map';
      b.append(el('p', filtered ? `Not on the map on ${words(d)} with the filters chosen.` : `Not on the map on ${words(d)}.`, 'warn'));
      if (focus) this.title.focus();
      return;
    }
    const p = f.properties || {};
    this.title.textContent = featureName(f);
    if (typeof p.name_ar === 'string' && p.name_ar) {
      const ar = el('p', p.name_ar, 'name-ar');
      ar.lang = 'ar';
      ar.dir = 'rtl';
      b.append(ar);
    }
    b.append(el('p', col.title || humanize(col.id), 'panel-layer'));

    if (col.role === 'events') {
      b.append(el('p', `Event on ${words(eventDate(f))}${p.date_end ? ` to ${words(dateOf(p.date_end))}` : ''}.`, 'status'));
      if (p.description) b.append(el('p', p.description));
    } else {
      const status = [];
      if (p.controller) status.push(`Controlled by: ${controllerLabel(p.controller)}`);
      if (p.status) status.push(`status: ${statusLabel(p.status)}`);
      const line = status.length ? `On ${words(d)}: ${status.join('; ')}.` : `Shown for ${words(d)}.`;
      b.append(el('p', line, 'status'));
    }

    if (typeof p.claim_status === 'string' && p.claim_status) {
      b.append(el('p', `How sure: ${termLabel('claim_status', p.claim_status)}.`, 'claim'));
    }
    if (typeof p.caveat === 'string' && p.caveat) b.append(el('p', p.caveat, 'warn caveat'));

    if (p.estimated === true) {
      const w = el('p', `Estimated position${p.confidence ? ` (confidence: ${p.confidence})` : ''}.`, 'warn');
      b.append(w);
      if (p.position_note) b.append(el('p', p.position_note, 'note'));
    }
    if (typeof p.position_precision === 'number' && p.position_precision > 0) {
      b.append(el('p', `Position rounded to ${roundingWords(p.position_precision)}, no finer than the evidence.`, 'note rounding'));
    }
    if (p.approximate === true || p.schematic === true) {
      b.append(el('p', `Approximate / schematic${p.confidence ? ` (confidence: ${p.confidence})` : ''}: not a surveyed line or position.`, 'warn'));
    }

    const facts = [];
    if (col.dated && col.role !== 'events') {
      const from = dateOf(p.valid_from);
      const to = dateOf(p.valid_to);
      facts.push(['This version', `${from ? `from ${words(from)}` : 'from the start'}${to ? ` until ${words(to)}` : ', no later change reported'}`]);
    }
    for (const k of ['kind', 'type', 'place', 'origin', 'destination', 'mode', 'operator', 'sides']) {
      if (typeof p[k] === 'string') facts.push([humanize(k), p[k]]);
    }
    if (p.count != null) facts.push(['count', `${p.count_qualifier ? `${p.count_qualifier} ` : ''}${formatNumber(p.count)}`]);
    if (facts.length) b.append(dl(facts));

    for (const k of ['basis', 'note']) {
      if (typeof p[k] === 'string' && p[k]) b.append(el('p', p[k], 'note'));
    }

    if (Array.isArray(p.figures) && p.figures.length) {
      b.append(el('h3', 'Figures'));
      const ul = el('ul', null, 'figures');
      for (const fig of p.figures) {
        if (!fig || typeof fig !== 'object') continue;
        const parts = [`${fig.label ?? 'figure'}: ${fig.qualifier ? `${fig.qualifier} ` : ''}${formatNumber(fig.value ?? '')}${fig.unit ? ` ${fig.unit}` : ''}`];
        const when = [fig.date && dateOf(fig.date) ? words(dateOf(fig.date)) : null, fig.source].filter(Boolean).join(', ');
        if (when) parts.push(` (${when})`);
        if (fig.note) parts.push(` — ${fig.note}`);
        ul.append(el('li', parts.join('')));
      }
      b.append(ul);
    }

    const sources = Array.isArray(p.sources) ? p.sources : [];
    b.append(el('h3', 'Sources'));
    if (!sources.length) b.append(el('p', 'No source given.', 'warn'));
    const ol = el('ol', null, 'sources');
    for (const s of sources) {
      if (!s || typeof s !== 'object') continue;
      const li = document.createElement('li');
      const href = safeURL(s.url);
      const label = [s.publisher, s.title].filter(Boolean).join(': ') || 'source';
      if (href) {
        const a = el('a', label);
        a.href = href;
        a.rel = 'noopener noreferrer';
        a.target = '_blank';
        li.append(a);
      } else {
        li.append(document.createTextNode(label));
      }
      if (s.date) li.append(document.createTextNode(` (${words(dateOf(s.date)) || s.date})`));
      ol.append(li);
    }
    b.append(ol);
    if (focus) this.title.focus();
  }

  hide() {
    const had = !this.section.hidden;
    this.section.hidden = true;
    this.body.replaceChildren();
    if (had && this.returnFocus && document.contains(this.returnFocus)) this.returnFocus.focus();
    this.returnFocus = null;
  }
}
