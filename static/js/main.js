// main.js: the map page. Wires the date control, the layers, the switcher,
// the legend, the details panel, the events list, the text summary, the URL
// state and the share dialog together.

import { createAPI } from './api.js';
import { loadCatalog, refreshCatalog } from './catalog.js';
import { createMap, currentView, SHORT_ATTRIBUTION } from './map.js';
import { DateControl } from './time.js';
import { Layers, featureKey, eventDate } from './layers.js';
import { renderLegend } from './legend.js';
import { Panel } from './panel.js';
import { EventList } from './events.js';
import { readState, replaceURL } from './urlstate.js';
import { initShare } from './share.js';
import { summarize } from './a11y/summary.js';
import { humanize } from './labels.js';
import { watchVersion } from './live.js';

const body = document.body;
const root = body.dataset.root || '';
// Tells loadcheck.js that this module and its imports ran.
body.dataset.started = 'true';

async function start() {
  const api = createAPI(root);
  const cat = await loadCatalog(api);
  const { cols } = cat;
  const st = readState(location.search, new Set(cols.keys()));
  const state = {
    date: st.date || body.dataset.defaultDate || cat.end,
    view: st.view,
    layers: null,
    sel: st.sel,
  };

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
    panel.show(col, f, d, { focus, name: sel.key });
  }

  async function select(sel, { focus = false } = {}) {
    state.sel = sel;
    replaceURL(state);
    await refreshPanel(state.date, { focus });
  }

  async function show(d, { focus = false } = {}) {
    state.date = d;
    replaceURL(state);
    eventList.setDate(d);
    const ok = await layers.render(d);
    if (!ok || state.date !== d) return;
    const facilities = cat.roles.sites ? await layers.features(cat.roles.sites, d) : [];
    if (state.date !== d) return;
    document.getElementById('summary').textContent = summarize(d, facilities, cat.events);
    await refreshPanel(d, { focus });
    body.dataset.renderedDate = d;
    body.dataset.renderedLayers = ids.filter((id) => layers.visible.has(id)).join(',');
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

  initShare({ root, getState: () => ({ ...state, view: currentView(map) }) });
  await show(state.date);
  body.dataset.ready = 'true';

  // When the data changes on the server, refetch the catalogue and the
  // timeline once, then redraw the slider's span and ticks, the events list
  // and the date shown, keeping the reader's date (clamped into the new
  // span), view and selection.
  watchVersion(root, async () => {
    const fresh = await refreshCatalog(api, cat, layers);
    eventList.setEvents(fresh.events);
    dates.setRange(fresh, { emit: false });
    await show(dates.date);
  });
}

start().catch((err) => {
  const s = document.getElementById('summary');
  s.textContent = 'The map could not load its data. Reload the page to try again.';
  body.dataset.ready = 'error';
  console.error(err);
});
