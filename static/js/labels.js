// labels.js: the words for the dataset's codes (controllers, statuses), from
// the catalogue's terms (catalog.json "terms", merged into every collection
// and served with /collections), in English and Arabic. The pages call
// useTerms once the catalogue is loaded; until then, and for a code without
// a term, codes are shown humanized. Colours come from the catalogue too.

/** terms: property -> value -> {label, label_ar, subject, note, state}. */
let terms = {};
/** order: the controller values in the order summaries give them. */
let order = [];

/**
 * useTerms takes the words from the collections of the catalogue (a Map of
 * id -> collection, or an array): every collection's terms, merged, and the
 * style order of the collection with role "sites" (or of any collection
 * styled by controller).
 */
export function useTerms(cols) {
  const list = cols instanceof Map ? [...cols.values()] : [...cols];
  const merged = {};
  for (const c of list) {
    for (const [prop, vals] of Object.entries(c.terms || {})) {
      merged[prop] = { ...(merged[prop] || {}), ...vals };
    }
  }
  terms = merged;
  const sites = list.find((c) => c.role === 'sites') || list.find((c) => c.style && c.style.property === 'controller');
  order = (sites && sites.style && Array.isArray(sites.style.order)) ? sites.style.order.slice() : [];
}

function term(prop, code) {
  const t = terms[prop];
  return t && Object.prototype.hasOwnProperty.call(t, code) ? t[code] : null;
}

/** UNKNOWN is the controller (and status) of a site whose control no source reports (docs/data-format.md). */
export const UNKNOWN = 'unknown';

/** humanize turns a code such as "turkey_sna" into "turkey sna". */
export function humanize(code) {
  return String(code ?? '').replace(/_/g, ' ');
}

/** termLabel names a value of any property (its term's label), or humanizes it. */
export function termLabel(prop, code, lang = 'en') {
  const t = term(prop, code);
  if (!t) return humanize(code);
  return (lang === 'ar' && t.label_ar) || t.label || humanize(code);
}

/** controllerLabel names a controller for a legend or a panel. */
export function controllerLabel(code, lang = 'en') {
  return termLabel('controller', code, lang);
}

/** controllerSubject names a controller as the subject of a sentence. */
export function controllerSubject(code) {
  if (code === '' || code == null) return 'an unrecorded controller';
  const t = term('controller', code);
  return (t && t.subject) || humanize(code);
}

/** isState reports whether a controller value is a state ("contested") rather than a party. */
export function isState(code) {
  const t = term('controller', code);
  return Boolean(t && t.state);
}

/** statusLabel describes a status code. */
export function statusLabel(code) {
  const t = term('status', code);
  return (t && t.label) || humanize(code);
}

/** statusNote is the note the summary adds after a facility's name, or "". */
export function statusNote(code) {
  const t = term('status', code);
  return (t && t.note) || '';
}

/**
 * isUnsettled reports whether a site is drawn with a dashed ring: a status
 * with a note other than "unknown", or a controller that is a state other
 * than "unknown" (drawn with its own question mark instead).
 */
export function isUnsettled(status, controller) {
  return (status !== UNKNOWN && statusNote(status) !== '') || (controller !== UNKNOWN && isState(controller));
}

/** controllerOrder returns the controllers in the order summaries give them. */
export function controllerOrder() {
  return order;
}

/** UI holds the few interface strings the widget shows in both languages. */
export const UI = {
  en: { full: 'Open the full map', date: 'Date', prev: 'Previous change', next: 'Next change', play: 'Play', pause: 'Pause', showing: 'Showing', filtered: 'Filtered, showing only' },
  ar: { full: 'افتح الخريطة الكاملة', date: 'التاريخ', prev: 'التغيير السابق', next: 'التغيير التالي', play: 'تشغيل', pause: 'إيقاف', showing: 'التاريخ المعروض', filtered: 'تصفية، يُعرض فقط' },
};
