// events.js: the list of events beside the map. Choosing one moves the date
// and the view to it; events after the chosen date are dimmed and those of
// the chosen date marked.

import { words } from './dates.js';
import { eventDate, featureName } from './layers.js';
import { humanize } from './labels.js';

/** EventList renders events (GeoJSON features) into an <ol>. */
export class EventList {
  constructor(ol, events, { onPick }) {
    this.ol = ol;
    this.items = [];
    const sorted = [...events].sort((a, b) => (eventDate(a) || '').localeCompare(eventDate(b) || '') || String(a.id).localeCompare(String(b.id)));
    for (const f of sorted) {
      const li = document.createElement('li');
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.className = 'event';
      const time = document.createElement('time');
      const d = eventDate(f);
      time.dateTime = d || '';
      time.textContent = words(d);
      const name = document.createElement('span');
      name.className = 'event-name';
      name.textContent = featureName(f);
      const kind = document.createElement('span');
      kind.className = 'event-kind';
      kind.textContent = humanize(f.properties && f.properties.kind);
      btn.append(time, name, kind);
      btn.addEventListener('click', () => onPick(f));
      li.append(btn);
      ol.append(li);
      this.items.push({ li, btn, date: d });
    }
  }

  /** setDate marks events after d as later, and those on d as current. */
  setDate(d) {
    for (const { li, btn, date } of this.items) {
      li.classList.toggle('later', date > d);
      if (date === d) btn.setAttribute('aria-current', 'date');
      else btn.removeAttribute('aria-current');
    }
  }
}
