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
    this.onPick = onPick;
    this.items = [];
    this.date = null;
    this.setEvents(events);
  }

  /**
   * setEvents replaces the list (after the data changed on the server),
   * keeping the marks of the date set last and the keyboard focus on the
   * same event when it is still listed.
   */
  setEvents(events) {
    const focused = this.items.find(({ btn }) => btn === document.activeElement);
    const sorted = [...events].sort((a, b) => (eventDate(a) || '').localeCompare(eventDate(b) || '') || String(a.id).localeCompare(String(b.id)));
    const items = [];
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
      btn.addEventListener('click', () => this.onPick(f));
      li.append(btn);
      items.push({ li, btn, date: d, id: String(f.id) });
    }
    // One swap, so that the scrolling sidebar keeps its place.
    this.ol.replaceChildren(...items.map(({ li }) => li));
    this.items = items;
    if (this.date !== null) this.setDate(this.date);
    if (focused) {
      const again = items.find(({ id }) => id === focused.id);
      if (again) again.btn.focus({ preventScroll: true });
    }
  }

  /** setDate marks events after d as later, and those on d as current. */
  setDate(d) {
    this.date = d;
    for (const { li, btn, date } of this.items) {
      li.classList.toggle('later', date > d);
      if (date === d) btn.setAttribute('aria-current', 'date');
      else btn.removeAttribute('aria-current');
    }
  }
}
