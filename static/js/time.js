// time.js: the date control. A slider over the dataset's days with tick marks
// at the dates on which something changes, buttons to step to the previous or
// next change and to play, a date picker, the date in words, and a polite live
// region announcing the date once the reader stops moving it.

import { addDays, daysBetween, isDate, words } from './dates.js';
import { UI } from './labels.js';

const PLAY_STEP_MS = 900;
const ANNOUNCE_DELAY_MS = 600;

/** DateControl wires the date control markup (ids date-*) of the page. */
export class DateControl {
  /**
   * @param {object} o
   * @param {string} o.start first date of the slider
   * @param {string} o.end last date of the slider
   * @param {string[]} o.ticks sorted change dates
   * @param {string} o.date initial date
   * @param {string} [o.lang] label language, "en" or "ar"
   * @param {boolean} [o.locked] disable every control for good (a locked
   *   widget): the slider only shows where the date lies, even after setRange
   * @param {(date: string) => void} o.onChange called after every change
   */
  constructor({ start, end, ticks, date, lang = 'en', locked = false, onChange }) {
    this.start = start;
    this.end = end;
    this.ticks = ticks.filter((d) => d >= start && d <= end);
    this.lang = lang;
    this.onChange = onChange;
    this.timer = null;
    this.announceTimer = null;
    this.el = {
      range: document.getElementById('date-range'),
      input: document.getElementById('date-input'),
      words: document.getElementById('date-words'),
      live: document.getElementById('date-live'),
      prev: document.getElementById('date-prev'),
      next: document.getElementById('date-next'),
      play: document.getElementById('date-play'),
      marks: document.getElementById('date-tickmarks'),
    };
    const t = UI[lang] || UI.en;
    this.el.prev.setAttribute('aria-label', t.prev);
    this.el.prev.title = t.prev;
    this.el.next.setAttribute('aria-label', t.next);
    this.el.next.title = t.next;
    this.labels = t;
    this.locked = locked;
    if (locked) {
      for (const el of [this.el.range, this.el.input, this.el.prev, this.el.next, this.el.play]) el.disabled = true;
    }

    const { range, input } = this.el;
    range.min = '0';
    range.max = String(daysBetween(start, end));
    input.min = start;
    input.max = end;
    this.drawTicks();

    range.addEventListener('input', () => {
      this.set(addDays(this.start, Number(range.value)), { from: 'range' });
    });
    input.addEventListener('change', () => {
      if (isDate(input.value)) this.set(this.clamp(input.value), { from: 'input' });
    });
    this.el.prev.addEventListener('click', () => this.step(-1));
    this.el.next.addEventListener('click', () => this.step(1));
    this.el.play.addEventListener('click', () => (this.timer ? this.pause() : this.play()));

    this.date = null;
    this.set(this.clamp(date), { emit: false, announce: false });
  }

  /**
   * setRange replaces the slider's span and change dates (after the data
   * changed on the server) and keeps the date shown; a date outside the new
   * span is clamped into it, announced, and passed to the listener unless
   * emit is false.
   */
  setRange({ start, end, ticks }, { emit = true } = {}) {
    this.start = start;
    this.end = end;
    this.ticks = ticks.filter((d) => d >= start && d <= end);
    const { range, input } = this.el;
    range.max = String(daysBetween(start, end));
    input.min = start;
    input.max = end;
    this.drawTicks();
    // set() puts the slider back on the same date: its index moves with start.
    this.set(this.date, { emit });
  }

  clamp(d) {
    if (!isDate(d)) return this.end;
    if (d < this.start) return this.start;
    if (d > this.end) return this.end;
    return d;
  }

  drawTicks() {
    const { marks } = this.el;
    marks.replaceChildren();
    const span = Math.max(1, daysBetween(this.start, this.end));
    for (const d of this.ticks) {
      const m = document.createElement('span');
      m.className = 'tick';
      m.dataset.date = d;
      // Positioned through the CSSOM (allowed by the style-src policy).
      m.style.setProperty('--pos', String(daysBetween(this.start, d) / span));
      marks.append(m);
    }
  }

  /** set moves the control to date d and tells the listener. */
  set(d, { emit = true, announce = true, from = '' } = {}) {
    d = this.clamp(d);
    const changed = d !== this.date;
    this.date = d;
    const { range, input } = this.el;
    const idx = String(daysBetween(this.start, d));
    if (from !== 'range' && range.value !== idx) range.value = idx;
    if (from !== 'input' && input.value !== d) input.value = d;
    const text = words(d, this.lang);
    range.setAttribute('aria-valuetext', text);
    this.el.words.textContent = text;
    this.el.words.setAttribute('data-date', d);
    this.el.prev.disabled = this.locked || !this.ticks.some((t) => t < d);
    this.el.next.disabled = this.locked || !this.ticks.some((t) => t > d);
    if (announce && changed) this.announce(text);
    if (emit && changed) this.onChange(d);
  }

  announce(text) {
    clearTimeout(this.announceTimer);
    this.announceTimer = setTimeout(() => {
      this.el.live.textContent = `${this.labels.showing}: ${text}`;
    }, ANNOUNCE_DELAY_MS);
  }

  /** step moves to the previous (-1) or next (+1) change date. */
  step(dir) {
    const d = this.date;
    const t = dir < 0 ? [...this.ticks].reverse().find((x) => x < d) : this.ticks.find((x) => x > d);
    if (t) this.set(t);
  }

  play() {
    if (this.date >= this.end) this.set(this.start);
    this.el.play.setAttribute('aria-pressed', 'true');
    this.el.play.setAttribute('aria-label', this.labels.pause);
    this.el.play.title = this.labels.pause;
    this.el.play.querySelector('path').setAttribute('d', 'M6 5h4v14H6zm8 0h4v14h-4z');
    this.timer = setInterval(() => {
      if (this.date >= this.end) {
        this.pause();
        return;
      }
      this.set(addDays(this.date, 1));
    }, PLAY_STEP_MS);
  }

  pause() {
    clearInterval(this.timer);
    this.timer = null;
    this.el.play.setAttribute('aria-pressed', 'false');
    this.el.play.setAttribute('aria-label', this.labels.play);
    this.el.play.title = this.labels.play;
    this.el.play.querySelector('path').setAttribute('d', 'M7 5v14l12-7z');
  }
}
