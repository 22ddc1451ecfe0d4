// catalog.js: loads what both pages need first: the collections with their
// styles, and the timeline (date range, change dates and events), and loads
// them again when the data changes on the server.

import { dateOf } from './dates.js';
import { useTerms } from './labels.js';

/**
 * loadCatalog returns {cols: Map<id, collection>, roles, start, end, ticks,
 * events}. ticks are the sorted change dates; start and end bound the
 * slider; roles names the collections with the roles "events" and "sites"
 * (undefined when none has it). Each collection gets queryables, the names
 * of the properties a filter may name (null when they could not be loaded,
 * or when queryables is false). It also takes the catalogue's words for the
 * labels (useTerms).
 */
export async function loadCatalog(api, { queryables = true } = {}) {
  const [list, timeline] = await Promise.all([api.collections(), api.timeline()]);
  // In the catalogue's order, whichever answer comes first.
  const loaded = await Promise.all(list.map(async (c) => {
    // The list may leave out the style; the collection itself has it.
    const [full, q] = await Promise.all([
      c.style ? c : api.collection(c.id),
      queryables ? api.queryables(c.id).catch(() => null) : null,
    ]);
    const names = q && q.properties && typeof q.properties === 'object' ? Object.keys(q.properties) : null;
    return { ...c, ...full, queryables: names };
  }));
  const cols = new Map(loaded.map((c) => [c.id, c]));
  const ticks = [...new Set((timeline.dates || []).map(dateOf).filter(Boolean))].sort();
  let events = timeline.events && Array.isArray(timeline.events.features) ? timeline.events.features : null;
  useTerms(cols);
  const roles = rolesOf(cols);
  if (!events && roles.events) events = (await api.items(roles.events, null)).features;
  const first = ticks[0];
  const last = ticks[ticks.length - 1];
  let start = dateOf(timeline.start) || first;
  let end = dateOf(timeline.end) || last;
  if (first && first < start) start = first;
  if (last && last > end) end = last;
  return { cols, roles, start, end, ticks, events: events || [] };
}

/** rolesOf returns {events, sites}: the ids of the collections with those roles. */
export function rolesOf(cols) {
  const roles = {};
  for (const c of cols.values()) if (c.role && !roles[c.role]) roles[c.role] = c.id;
  return roles;
}

/**
 * refreshCatalog is what both pages do when the data changed on the server:
 * it forgets the client's cached answers, loads the catalogue and the
 * timeline again, and updates cat (start, end, ticks, events) and the ticks
 * and events layers draws from, in place. The collections in cat.cols stay
 * as they were. It resolves to the fresh catalogue, for the date control's
 * setRange.
 */
export async function refreshCatalog(api, cat, layers) {
  api.clear();
  const fresh = await loadCatalog(api, { queryables: false });
  cat.start = fresh.start;
  cat.end = fresh.end;
  cat.ticks = fresh.ticks;
  cat.events = fresh.events;
  layers.ticks = fresh.ticks;
  layers.events = fresh.events;
  return fresh;
}
