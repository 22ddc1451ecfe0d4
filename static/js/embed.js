// embed.js: the widget for iframes. The map is pinned by its URL (date, view
// or bbox, layers, filters f.PROPERTY, slider=0/1, locked=1, lang=en|ar),
// and says under the map which values a filter keeps. since=YYYY-MM-DD adds
// the change view (what changed hands between since and date, on the map and
// in words under it); view=chart shows the area chart alone instead of the
// map, its marker at the date (moved by the slider and by the chart itself
// unless locked). Scroll-wheel zoom is off
// so it never hijacks the article's scrolling; it links to the full map at the
// same state and posts its height to the parent page for embed-resize.js. Like
// the map page it polls /version and redraws when the data changes, so a
// correction reaches an article's map without a reload.

import { createAPI } from './api.js';
import { loadCatalog, refreshCatalog } from './catalog.js';
import { createMap, currentView } from './map.js';
import { DateControl } from './time.js';
import { Layers } from './layers.js';
import { readState, stateParams, queryString } from './urlstate.js';
import { summarize } from './a11y/summary.js';
import { words } from './dates.js';
import { UI } from './labels.js';
import { SHORT_ATTRIBUTION } from './map.js';
import { watchVersion } from './live.js';
import { filterOptions, cqlFilter, filterSummary, filterWords } from './filters.js';
import { areasCollection, T as AT } from './analytics.js';
import { ChangeView } from './change.js';
import { AreaChart } from './chart.js';

const body = document.body;
const root = body.dataset.root || '';
// Tells loadcheck.js that this module and its imports ran.
body.dataset.started = 'true';

/**
 * naturalHeight is the height the widget wants: its bars plus the map's
 * natural height (a share of the width). It does not depend on the iframe's
 * height, so resizing the iframe to it never loops.
 */
function naturalHeight() {
  const map = document.getElementById('map');
  let h = map.hidden ? 0 : parseFloat(getComputedStyle(map).minHeight) || map.offsetHeight;
  for (const el of document.getElementById('main').children) {
    if (el !== map && el.offsetParent !== null) h += el.offsetHeight;
  }
  return Math.ceil(h);
}

function postHeight() {
  const h = naturalHeight();
  if (window.parent !== window) window.parent.postMessage({ type: 'controlmap:height', height: h }, '*');
  body.dataset.postedHeight = String(h);
}

async function start() {
  const api = createAPI(root);
  const cat = await loadCatalog(api);
  const { cols } = cat;
  const options = filterOptions(cols);
  const st = readState(location.search, new Set(cols.keys()), options);
  const lang = st.lang;
  const t = UI[lang];
  document.documentElement.lang = lang;
  if (lang === 'ar') document.documentElement.dir = 'rtl';

  const areas = areasCollection(cols);
  const mode = st.chart ? 'chart' : st.since ? 'changes' : 'map';
  body.dataset.mode = mode;
  let map = null;
  let layers = null;
  let shownLayers = [];
  if (mode === 'chart') {
    document.getElementById('map').hidden = true;
  } else {
    map = createMap(document.getElementById('map'), {
      view: st.view,
      bbox: st.bbox,
      tileURL: body.dataset.tileTemplate,
      tileAttribution: body.dataset.tileAttribution,
      scrollWheelZoom: false,
    });
    const filterFor = (id) => cqlFilter(options, st.filters, id);
    layers = new Layers(map, api, cols, { ticks: cat.ticks, events: cat.events, lang, tiles: !!body.dataset.tileTemplate, onSelect: () => {}, filterFor });
    const ids = layers.ids();
    for (const id of st.layers || ids) layers.visible.add(id);
    shownLayers = ids.filter((id) => layers.visible.has(id));
    map.cmSetAttribution([SHORT_ATTRIBUTION]);
  }

  const full = document.getElementById('embed-full');
  full.textContent = t.full;
  const dateText = document.getElementById('embed-date');
  const controls = document.getElementById('embed-controls');
  const state = { date: st.date || body.dataset.defaultDate || cat.end, view: st.view, layers: st.layers ? shownLayers : null, filters: st.filters, since: mode === 'changes' ? st.since : null };
  if (st.filters.size) {
    const note = document.getElementById('embed-filter');
    note.textContent = `${t.filtered}: ${filterWords(options, st.filters, lang)}`;
    note.hidden = false;
  }

  const updateLink = () => {
    full.href = `${location.origin}${root}/?${queryString(stateParams({ ...state, view: map ? currentView(map) : null }))}`;
  };

  // The chart alone, or the change view under the map.
  let chart = null;
  let changes = null;
  if (mode === 'chart') {
    document.getElementById('embed-chart-box').hidden = false;
    document.getElementById('embed-chart-title').textContent = (AT[lang] || AT.en).chartTitle;
    document.getElementById('summary').textContent = '';
    if (areas) {
      chart = new AreaChart(document.getElementById('embed-chart'), {
        api, col: areas, start: cat.start, end: cat.end, lang,
        onPick: st.locked ? null : (d) => dates.set(d),
      });
    }
  } else if (mode === 'changes') {
    const box = document.getElementById('embed-changes');
    box.hidden = false;
    box.setAttribute('aria-label', lang === 'ar' ? 'التغييرات' : 'Changes');
    changes = new ChangeView(map, api, cols, { el: box, lang, level: 2, keyDate: (d) => layers.keyDate(d) });
  }

  async function show(d) {
    state.date = d;
    dateText.textContent = words(d, lang);
    updateLink();
    if (mode === 'chart') {
      if (chart) chart.setDate(d);
      body.dataset.renderedDate = d;
      postHeight();
      return;
    }
    const [ok] = await Promise.all([layers.render(d), changes ? changes.show(state.since, d) : true]);
    if (!ok || state.date !== d) return;
    const [facilities, events] = await Promise.all([
      cat.roles.sites ? layers.features(cat.roles.sites, d) : [],
      layers.filteredEvents(),
    ]);
    if (state.date !== d) return;
    const filtered = filterSummary(options, st.filters);
    document.getElementById('summary').textContent = summarize(d, facilities, events) + (filtered ? ` ${filtered}.` : '');
    body.dataset.renderedDate = d;
    body.dataset.renderedLayers = shownLayers.join(',');
    postHeight();
  }

  if (!st.slider) {
    controls.hidden = true;
    dateText.hidden = false;
  }
  // Locked, the slider stays as a picture of where the date lies; nothing moves it.
  const dates = new DateControl({ start: cat.start, end: cat.end, ticks: cat.ticks, date: state.date, lang, locked: st.locked, onChange: (d) => show(d) });
  state.date = dates.date;
  if (st.locked) controls.classList.add('locked');
  body.dataset.slider = st.slider ? '1' : '0';
  body.dataset.locked = st.locked ? '1' : '0';
  if (map) map.on('moveend', updateLink);
  if (chart) {
    chart.setDate(state.date);
    await chart.load().catch((err) => console.warn(err));
  } else if (mode === 'chart') {
    document.getElementById('embed-chart').textContent = (AT[lang] || AT.en).chartFailed;
  }
  await show(state.date);
  body.dataset.ready = 'true';
  new ResizeObserver(postHeight).observe(document.getElementById('main'));
  window.addEventListener('resize', postHeight);

  // When the data changes on the server, refetch the catalogue and the
  // timeline once, then redraw the slider's span and ticks, the layers and
  // the summary at the same date (a locked widget's too; clamped only if it
  // left the new span), view and layers.
  watchVersion(root, async () => {
    const fresh = await refreshCatalog(api, cat, layers || { ticks: null, events: null });
    dates.setRange(fresh, { emit: false });
    if (chart) {
      chart.setRange(fresh);
      await chart.load().catch((err) => console.warn(err));
    }
    await show(dates.date);
  });
}

start().catch((err) => {
  body.dataset.ready = 'error';
  console.error(err);
});
