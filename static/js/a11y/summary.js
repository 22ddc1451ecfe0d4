// a11y/summary.js: the text summary of the map on a date, for screen readers
// and for anyone who prefers words ("On 21 January 2026 the Syrian government
// controlled al-Hol camp, ..."). It mirrors handlers/pages_summary.go, which
// renders the same text into the page for readers without JavaScript.

import { words } from '../dates.js';
import { controllerOrder, controllerSubject, isState, statusNote } from '../labels.js';
import { eventDate, featureName } from '../layers.js';

function joinNames(names) {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/**
 * summarize writes who controlled each facility on date d (facilities: one
 * version per site, in id order) and the events of that day.
 */
export function summarize(d, facilities, events) {
  const groups = new Map();
  for (const f of facilities) {
    const p = f.properties || {};
    const ctrl = typeof p.controller === 'string' ? p.controller : '';
    let name = featureName(f);
    const note = statusNote(p.status);
    if (note && !isState(ctrl)) name += ` (${note})`;
    if (!groups.has(ctrl)) groups.set(ctrl, []);
    groups.get(ctrl).push(name);
  }
  const known = controllerOrder();
  const rank = (c) => {
    const i = known.indexOf(c);
    return i < 0 ? known.length : i;
  };
  const order = [...groups.keys()].map((c, i) => [c, i]).sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1]).map(([c]) => c);
  let s = `On ${words(d)}`;
  if (!order.length) s += ' no facility is recorded.';
  order.forEach((ctrl, i) => {
    const names = groups.get(ctrl);
    if (i > 0) s += ';';
    if (isState(ctrl)) s += ` ${joinNames(names)} ${names.length > 1 ? 'were' : 'was'} ${controllerSubject(ctrl)}`;
    else s += ` ${controllerSubject(ctrl)} controlled ${joinNames(names)}`;
  });
  if (order.length) s += '.';
  const today = events.filter((e) => eventDate(e) === d).map((e) => featureName(e)).filter(Boolean);
  if (today.length) s += ` That day: ${today.join('; ')}.`;
  return s;
}
