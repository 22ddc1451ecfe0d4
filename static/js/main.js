// main.js: the map page. Wires the date control, the layers, the switcher,
// the filters, the legend, the details panel, the events list, the text
// summary, the change view, the area chart, the URL state and the share
// dialog together.

import { createAPI } from './api.js';
import { loadCatalog, refreshCatalog } from './catalog.js';
import { createMap, currentView, SHORT_ATTRIBUTION } from './map.js';
import { DateControl } from './time.js';
import { Layers, featureKey, eventDate } from './layers.js';
import { renderLegend } from './legend.js';
import { Panel } from './panel.js';
import { EventList } from './events.js';
import { readState, replaceURL, filterParams, queryString } from './urlstate.js';
import { initShare } from './share.js';
import { summarize } from './a11y/summary.js';
import { humanize } from './labels.js';
import { watchVersion } from './live.js';
import { filterOptions, cqlFilter, filterSummary, FilterPanel } from './filters.js';
import { isDate, words } from './dates.js';
import { areasCollection } from './analytics.js';
import { ChangeView, defaultSince } from './change.js';
import { AreaChart } from './chart.js';

const body = document.body;
const root = body.dataset.root || '';
// Tells loadcheck.js that this module and its imports ran.
body.dataset.started = 'true';

async function start() {
  const api = createAPI(root);
  const cat = await loadCatalog(api);
  const { cols } = cat;
  const options = filterOptions(cols);
  const st = readState(location.search, new Set(cols.keys()), options);
  const state = {
    date: st.date || body.dataset.defaultDate || cat.end,
    view: st.view,
    layers: null,
    filters: st.filters,
    sel: st.sel,
    since: st.since,
  };
  const filterFor = (id) => cqlFilter(options, state.filters, id);

  const map = createMap(document.getElementById('map'), {
    view: st.view,
    bbox: st.bbox,
    tileURL: body.dataset.tileTemplate,
    tileAttribution: body.dataset.tileAttribution,
  });

  const panel = new Panel({ onClose: () => select(null) });
  const layers = new Layers(map, api, cols, {
    ticks: cat.ticks,
    events: cat.events,
    tiles: !!body.dataset.tileTemplate,
    onSelect: (sel) => select(sel, { focus: true }),
    filterFor,
  });
  const ids = layers.ids();
  const layerState = () => (ids.every((id) => layers.visible.has(id)) ? null : ids.filter((id) => layers.visible.has(id)));
  for (const id of st.layers || ids) layers.visible.add(id);
  state.layers = layerState();

  map.cmSetAttribution([SHORT_ATTRIBUTION]);
  const credits = document.getElementById('credits');
  for (const id of ids) {
    const c = cols.get(id);
    if (!c.attribution) continue;
    const li = document.createElement('li');
    li.textContent = `${c.title || humanize(id)}: ${c.attribution}${c.license ? ` (${c.license})` : ''}`;
    credits.append(li);
  }

  // Layer switcher.
  const switcher = document.getElementById('layer-switcher');
  const fieldset = document.createElement('fieldset');
  const legend = document.createElement('legend');
  legend.className = 'vh';
  legend.textContent = 'Layers shown on the map';
  fieldset.append(legend);
  for (const id of ids) {
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.name = 'layer';
    box.value = id;
    box.checked = layers.visible.has(id);
    box.addEventListener('change', () => {
      if (box.checked) layers.visible.add(id);
      else layers.visible.delete(id);
      state.layers = layerState();
      renderLegend(document.getElementById('legend'), cols, layers.visible);
      show(state.date);
    });
    label.append(box, document.createTextNode(` ${cols.get(id).title || humanize(id)}`));
    fieldset.append(label);
  }
  switcher.append(fieldset);
  renderLegend(document.getElementById('legend'), cols, layers.visible);

  // Filters: the checked values of the common properties, as CQL2 filters
  // on the layers' requests and as f.PROPERTY in the URL.
  const note = document.getElementById('filter-note');
  const filters = new FilterPanel(cols, options, state.filters, {
    onChange: (checked) => {
      state.filters = checked;
      filtersChanged();
    },
  });
  state.filters = filters.checked;
  const showNote = () => {
    const text = filterSummary(options, state.filters);
    document.getElementById('filter-note-text').textContent = text;
    note.hidden = !text;
  };
  async function filtersChanged() {
    const now = state.filters;
    showNote();
    replaceURL(state);
    const [evs] = await Promise.all([layers.filteredEvents(), show(state.date)]);
    if (state.filters === now) eventList.setEvents(evs);
  }
  document.getElementById('filter-note-clear').addEventListener('click', () => {
    filters.set(new Map());
    state.filters = filters.checked;
    filtersChanged();
    document.getElementById('map').focus();
  });
  showNote();

  const eventList = new EventList(document.getElementById('events'), cat.events, {
    onPick: (f) => {
      const d = eventDate(f);
      const [lon, lat] = f.geometry && f.geometry.type === 'Point' ? f.geometry.coordinates : [null, null];
      if (lat != null) map.setView([lat, lon], Math.max(map.getZoom(), 8));
      const evId = cat.roles.events;
      if (!layers.visible.has(evId)) {
        layers.visible.add(evId);
        switcher.querySelector(`input[value="${CSS.escape(evId)}"]`).checked = true;
        state.layers = layerState();
        renderLegend(document.getElementById('legend'), cols, layers.visible);
      }
      state.sel = { collection: evId, key: featureKey(cols.get(evId), f) };
      dates.set(d, { emit: false });
      show(d, { focus: true });
    },
  });

  // The change view: what changed hands between an earlier date and the
  // date shown. Turned on without a date, the earlier date follows the
  // slider (the change before the one shown); a date picked, or given as
  // since= in the URL, stays.
  const sinceOn = document.getElementById('since-on');
  const sinceInput = document.getElementById('since-input');
  const changeNote = document.getElementById('change-note');
  const changeStatus = document.getElementById('changes-status');
  let sinceAuto = false;
  let sincePicked = !!state.since;
  sinceInput.min = cat.start;
  sinceInput.max = cat.end;
  const changes = new ChangeView(map, api, cols, {
    el: document.getElementById('changes-result'),
    keyDate: (d) => layers.keyDate(d),
    zoom: true,
    onPickSite: (key, f) => {
      const g = f.geometry;
      if (g && g.type === 'Point') map.panTo([g.coordinates[1], g.coordinates[0]]);
      if (cat.roles.sites) select({ collection: cat.roles.sites, key }, { focus: true });
    },
  });
  const changesOn = () => !!state.since || sinceAuto;
  let changeSeq = 0;
  async function showChanges(d) {
    const seq = ++changeSeq;
    if (!changesOn()) {
      changes.clear();
      changeNote.hidden = true;
      changeStatus.textContent = '';
      return;
    }
    const since = sinceAuto ? defaultSince(cat.ticks, d, cat.start) : state.since;
    state.since = since;
    sinceOn.checked = true;
    if (sinceInput.value !== since) sinceInput.value = since;
    replaceURL(state);
    const ok = await changes.show(since, d);
    if (!ok || seq !== changeSeq) return;
    document.getElementById('change-note-text').textContent = since < d
      ? `Hatched: changed hands between ${words(since)} and ${words(d)} (approximate)`
      : `No changes shown: ${words(since)} is not before ${words(d)}`;
    changeNote.hidden = false;
    const nRegions = document.querySelectorAll('#changes-result .changes-regions > li').length;
    const nSites = document.querySelectorAll('#changes-result .changes-sites > li').length;
    changeStatus.textContent = since < d
      ? `Changes from ${words(since)} to ${words(d)}: ${nRegions} region${nRegions === 1 ? '' : 's'} and ${nSites} site${nSites === 1 ? '' : 's'} listed.`
      : '';
  }
  sinceOn.addEventListener('change', () => {
    if (sinceOn.checked) {
      sinceAuto = !isDate(sinceInput.value) || !sincePicked;
      if (!sinceAuto) state.since = sinceInput.value;
    } else {
      sinceAuto = false;
      state.since = null;
      replaceURL(state);
    }
    showChanges(state.date);
  });
  sinceInput.addEventListener('change', () => {
    // Half-typed years (0002-01-15) are not dates of the data: wait for the rest.
    if (!isDate(sinceInput.value) || sinceInput.value < cat.start || sinceInput.value > cat.end) return;
    sincePicked = true;
    sinceAuto = false;
    state.since = sinceInput.value;
    showChanges(state.date);
  });

  // The area chart: its marker follows the date; a date chosen in it moves the slider.
  const areasCol = areasCollection(cols);
  let chart = null;
  if (areasCol) {
    chart = new AreaChart(document.getElementById('chart'), {
      api, col: areasCol, start: cat.start, end: cat.end, sources: true,
      onPick: (d) => dates.set(d),
    });
    chart.setDate(state.date);
    chart.load().catch((err) => console.warn(err));
  } else {
    document.getElementById('chart-box').hidden = true;
  }

  async function refreshPanel(d, { focus = false } = {}) {
    const sel = state.sel;
    layers.select(sel);
    if (!sel || !cols.has(sel.collection)) {
      panel.hide();
      return;
    }
    const col = cols.get(sel.collection);
    const fs = await layers.features(sel.collection, d);
    if (state.sel !== sel) return;
    const f = fs.find((x) => featureKey(col, x) === sel.key) || null;
    panel.show(col, f, d, { focus, name: sel.key, filtered: !!filterFor(sel.collection) });
  }

  async function select(sel, { focus = false } = {}) {
    state.sel = sel;
    replaceURL(state);
    await refreshPanel(state.date, { focus });
  }

  let shown = 0;
  async function show(d, { focus = false } = {}) {
    const seq = ++shown;
    const overtaken = () => seq !== shown || state.date !== d;
    state.date = d;
    replaceURL(state);
    eventList.setDate(d);
    if (chart) chart.setDate(d);
    const [ok] = await Promise.all([layers.render(d), showChanges(d)]);
    if (!ok || overtaken()) return;
    const [facilities, events] = await Promise.all([
      cat.roles.sites ? layers.features(cat.roles.sites, d) : [],
      layers.filteredEvents(),
    ]);
    if (overtaken()) return;
    const filtered = filterSummary(options, state.filters);
    document.getElementById('summary').textContent = summarize(d, facilities, events) + (filtered ? ` ${filtered}.` : '');
    await refreshPanel(d, { focus });
    body.dataset.renderedDate = d;
    body.dataset.renderedLayers = ids.filter((id) => layers.visible.has(id)).join(',');
    body.dataset.renderedFilters = queryString(filterParams(state.filters));
  }

  const dates = new DateControl({
    start: cat.start,
    end: cat.end,
    ticks: cat.ticks,
    date: state.date,
    onChange: (d) => show(d),
  });
  state.date = dates.date;

  map.on('moveend', () => {
    state.view = currentView(map);
    replaceURL(state);
  });
  if (st.view) state.view = st.view;

  const bounds = () => {
    const b = map.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
  };
  initShare({ root, getState: () => ({ ...state, view: currentView(map), bounds: bounds(), sinceDefault: defaultSince(cat.ticks, state.date, cat.start) }) });
  if (state.filters.size) eventList.setEvents(await layers.filteredEvents());
  await show(state.date);
  body.dataset.ready = 'true';

  // When the data changes on the server, refetch the catalogue and the
  // timeline once, then redraw the slider's span and ticks, the events list
  // and the date shown, keeping the reader's date (clamped into the new
  // span), view and selection.
  watchVersion(root, async () => {
    const fresh = await refreshCatalog(api, cat, layers);
    eventList.setEvents(await layers.filteredEvents());
    dates.setRange(fresh, { emit: false });
    if (chart) {
      chart.setRange(fresh);
      chart.load().catch((err) => console.warn(err));
    }
    await show(dates.date);
  });
}

start().catch((err) => {
  const s = document.getElementById('summary');
  s.textContent = 'The map could not load its data. Reload the page to try again.';
  body.dataset.ready = 'error';
  console.error(err);
});
