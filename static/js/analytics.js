// analytics.js: what the change view (change.js) and the area chart
// (chart.js) share: which collections they read, the colour of a controller,
// areas in words (rounded to 100 km², always "about"), the confidence in
// words, and their few fixed strings in English and Arabic.

import { controllerOrder, humanize } from './labels.js';

/** AREA_STEP is what displayed areas are rounded to, in km². */
export const AREA_STEP = 100;

/**
 * areasCollection returns the polygon collection the change view and the
 * chart measure: control_areas when the catalogue has it, else the first
 * polygon collection styled by controller; or null.
 */
export function areasCollection(cols) {
  if (cols.has('control_areas')) return cols.get('control_areas');
  for (const c of cols.values()) {
    if (/Polygon/.test(c.geometry_type || '') && c.style && c.style.property === 'controller') return c;
  }
  return null;
}

/** colorOf is the colour a collection's style gives a value of its style property. */
export function colorOf(col, value) {
  const st = (col && col.style) || {};
  return (st.colors && Object.hasOwn(st.colors, value) && st.colors[value]) || st.default_color || '#555555';
}

/**
 * orderValues sorts controller values as the summaries give them (the
 * catalogue's order), unknown values last in the order given.
 */
export function orderValues(values) {
  const order = controllerOrder();
  const rank = (v) => {
    const i = order.indexOf(v);
    return i < 0 ? order.length : i;
  };
  return [...values].sort((a, b) => rank(a) - rank(b));
}

const numberFormats = new Map();

/** formatNumber writes an integer with the language's digit grouping. */
export function formatNumber(n, lang = 'en') {
  let f = numberFormats.get(lang);
  if (!f) {
    f = new Intl.NumberFormat(lang === 'ar' ? 'ar' : 'en-GB', { maximumFractionDigits: 0 });
    numberFormats.set(lang, f);
  }
  return f.format(n);
}

/** roundArea rounds km² to AREA_STEP. */
export function roundArea(km2) {
  return Math.round(km2 / AREA_STEP) * AREA_STEP;
}

/** areaWords writes an area as "about 34,600 km²", or "less than 100 km²" when it rounds to nothing. */
export function areaWords(km2, lang = 'en') {
  const t = T[lang] || T.en;
  const r = roundArea(km2);
  if (r <= 0) return t.lessThan(formatNumber(AREA_STEP, lang));
  return t.about(formatNumber(r, lang));
}

/** percentWords writes a share as "48%" ("<1%" for a small one). */
export function percentWords(part, total, lang = 'en') {
  if (!(total > 0)) return '';
  const p = Math.round((100 * part) / total);
  if (p === 0 && part > 0) return lang === 'ar' ? `<${formatNumber(1, 'ar')}٪` : '<1%';
  return lang === 'ar' ? `${formatNumber(p, 'ar')}٪` : `${p}%`;
}

const CONFIDENCE_AR = { low: 'منخفضة', medium: 'متوسطة', high: 'عالية' };

/** confidenceWords lists confidence values ("low, medium"), or "not given". */
export function confidenceWords(values, lang = 'en') {
  const t = T[lang] || T.en;
  const list = [...new Set(values.filter((v) => typeof v === 'string' && v))];
  if (!list.length) return t.notGiven;
  const rank = (v) => ['low', 'medium', 'high'].indexOf(v);
  list.sort((a, b) => rank(a) - rank(b));
  return list.map((v) => (lang === 'ar' && CONFIDENCE_AR[v]) || humanize(v)).join(lang === 'ar' ? '، ' : ', ');
}

/** T holds the fixed words of the change view and the chart, in English and Arabic. */
export const T = {
  en: {
    about: (n) => `about ${n} km²`,
    lessThan: (n) => `less than ${n} km²`,
    notGiven: 'not given',
    to: 'to',
    arrow: ' → ',
    sep: '; ',
    changesTitle: (a, b) => `Changes from ${a} to ${b}`,
    regions: 'Regions that changed hands',
    noRegion: 'No region changed hands.',
    sites: 'Sites that changed hands',
    noSite: 'No site changed hands.',
    statusOnly: 'Sites whose status changed',
    status: 'status',
    estimated: 'estimated position',
    approxChange: (conf) => `Approximate: areas of schematic outlines, not a survey, rounded to 100 km² (confidence of the outlines: ${conf}).`,
    hatch: 'On the map: hatched in the colour of the side that gained the region, outlined in the colour of the side that lost it; rings mark the sites that changed.',
    regionConfidence: (conf) => `confidence: ${conf}`,
    notBefore: (a, b) => `The earlier date (${a}) is not before the date shown (${b}): pick an earlier date or move the date forward.`,
    loading: 'Loading the changes…',
    failed: 'The changes could not be loaded.',
    chartTitle: 'Area controlled over time',
    chartNote: (note, conf) => `${note} Rounded to 100 km²; confidence of the outlines: ${conf}.`,
    chartFallbackNote: 'Approximate: areas of schematic outlines, not a survey.',
    chartLabel: 'Area controlled over time. Choose a date of change to move the map there (arrow keys, then Enter).',
    chartDate: (d, parts) => `${d}: ${parts}. Press Enter to show this date.`,
    onDate: (d) => `On ${d}`,
    noArea: (d) => `No area recorded on ${d}.`,
    tableCaption: 'Area controlled on each date the areas change (approximate; km² rounded to 100, with the share of the mapped area)',
    date: 'Date',
    mapped: 'Mapped area',
    share: 'Share of the mapped area',
    chartFailed: 'The chart could not be loaded.',
    data: 'Data (JSON)',
    none: 'none',
    sources: (n) => `Sources of the outlines (${n})`,
  },
  ar: {
    about: (n) => `نحو ${n} كم²`,
    lessThan: (n) => `أقل من ${n} كم²`,
    notGiven: 'غير محددة',
    to: 'إلى',
    arrow: ' ← ',
    sep: '؛ ',
    changesTitle: (a, b) => `التغييرات من ${a} إلى ${b}`,
    regions: 'مناطق انتقلت السيطرة عليها',
    noRegion: 'لم تنتقل السيطرة على أي منطقة.',
    sites: 'مواقع انتقلت السيطرة عليها',
    noSite: 'لم تنتقل السيطرة على أي موقع.',
    statusOnly: 'مواقع تغيّر وضعها',
    status: 'الوضع',
    estimated: 'موقع تقديري',
    approxChange: (conf) => `تقريبي: مساحات لحدود تخطيطية وليست مسحاً ميدانياً، مقرّبة إلى 100 كم² (درجة الثقة بالحدود: ${conf}).`,
    hatch: 'على الخريطة: التظليل المخطط بلون الطرف الذي كسب المنطقة، والحدود بلون الطرف الذي خسرها؛ والحلقات حول المواقع التي تغيّرت.',
    regionConfidence: (conf) => `درجة الثقة: ${conf}`,
    notBefore: (a, b) => `التاريخ الأسبق (${a}) ليس قبل التاريخ المعروض (${b}).`,
    loading: 'جارٍ تحميل التغييرات…',
    failed: 'تعذّر تحميل التغييرات.',
    chartTitle: 'المساحة الخاضعة للسيطرة عبر الزمن',
    chartNote: (note, conf) => `مساحات تقريبية لحدود تخطيطية وليست مسحاً ميدانياً، مقرّبة إلى 100 كم²؛ درجة الثقة بالحدود: ${conf}.`,
    chartFallbackNote: 'مساحات تقريبية لحدود تخطيطية وليست مسحاً ميدانياً.',
    chartLabel: 'المساحة الخاضعة للسيطرة عبر الزمن. اختر تاريخ تغيير لعرضه (مفاتيح الأسهم ثم Enter).',
    chartDate: (d, parts) => `${d}: ${parts}. اضغط Enter لعرض هذا التاريخ.`,
    onDate: (d) => `في ${d}`,
    noArea: (d) => `لا مساحة مسجلة في ${d}.`,
    tableCaption: 'المساحة الخاضعة للسيطرة في كل تاريخ تتغير فيه المناطق (تقريبية؛ كم² مقرّبة إلى 100، مع النسبة من المساحة المرسومة)',
    date: 'التاريخ',
    mapped: 'المساحة المرسومة',
    share: 'النسبة من المساحة المرسومة',
    chartFailed: 'تعذّر تحميل الرسم البياني.',
    data: 'البيانات (JSON)',
    none: 'لا شيء',
    sources: (n) => `مصادر الحدود (${n})`,
  },
};
