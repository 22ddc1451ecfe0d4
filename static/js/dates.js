// dates.js: calendar dates as "YYYY-MM-DD" strings in UTC, and their words.

const DAY_MS = 86400000;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** isDate reports whether s is a valid YYYY-MM-DD date. */
export function isDate(s) {
  if (typeof s !== 'string' || !DATE_RE.test(s)) return false;
  const t = Date.parse(s + 'T00:00:00Z');
  return !Number.isNaN(t) && toDate(t) === s;
}

/** toMs returns the UTC midnight of a date in milliseconds. */
export function toMs(d) {
  return Date.parse(d + 'T00:00:00Z');
}

/** toDate returns the UTC date of a time in milliseconds. */
export function toDate(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

/** dateOf returns the date part of an RFC 3339 time or date, or null. */
export function dateOf(v) {
  return typeof v === 'string' && v.length >= 10 ? v.slice(0, 10) : null;
}

/** addDays returns d moved by n days. */
export function addDays(d, n) {
  return toDate(toMs(d) + n * DAY_MS);
}

/** daysBetween returns the number of days from a to b. */
export function daysBetween(a, b) {
  return Math.round((toMs(b) - toMs(a)) / DAY_MS);
}

const formats = new Map();

/** words writes a date as "21 January 2026" (or in Arabic for lang "ar"). */
export function words(d, lang = 'en') {
  if (!isDate(d)) return '';
  let f = formats.get(lang);
  if (!f) {
    f = new Intl.DateTimeFormat(lang === 'ar' ? 'ar' : 'en-GB', {
      day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC',
    });
    formats.set(lang, f);
  }
  return f.format(new Date(toMs(d)));
}
