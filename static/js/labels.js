// labels.js: the words for the dataset's codes (controllers, statuses, kinds),
// in English and Arabic. Colours come from the catalogue; only names live here.

const CONTROLLERS = {
  government: { en: 'Syrian government', ar: 'الحكومة السورية', subject: 'the Syrian government' },
  sdf: { en: 'SDF (Syrian Democratic Forces)', ar: 'قوات سوريا الديمقراطية', subject: 'the SDF' },
  contested: { en: 'Contested / in transition', ar: 'متنازع عليها', subject: 'contested' },
  turkey_sna: { en: 'Turkey and Turkish-backed forces', ar: 'تركيا والفصائل المدعومة منها', subject: 'Turkey and Turkish-backed forces' },
  us: { en: 'US forces', ar: 'القوات الأمريكية', subject: 'US forces' },
  iraq: { en: 'Iraq', ar: 'العراق', subject: 'Iraq' },
};

const STATUSES = {
  normal: 'normal',
  transition: 'in transition',
  handed_over: 'handed over',
  captured: 'captured',
  besieged: 'besieged',
  contested: 'contested',
  unknown: 'status unknown (no later report)',
  completed: 'completed',
  under_way: 'under way',
};

/** humanize turns a code such as "turkey_sna" into "turkey sna". */
export function humanize(code) {
  return String(code ?? '').replace(/_/g, ' ');
}

/** controllerLabel names a controller for a legend or a panel. */
export function controllerLabel(code, lang = 'en') {
  const c = CONTROLLERS[code];
  if (!c) return humanize(code);
  return c[lang] || c.en;
}

/** controllerSubject names a controller as the subject of a sentence. */
export function controllerSubject(code) {
  const c = CONTROLLERS[code];
  if (code === '' || code == null) return 'an unrecorded controller';
  return c ? c.subject : humanize(code);
}

/** statusLabel describes a status code. */
export function statusLabel(code) {
  return STATUSES[code] || humanize(code);
}

/** statusNote is the note the summary adds after a facility's name, or "". */
export function statusNote(code) {
  switch (code) {
    case 'besieged': return 'besieged';
    case 'transition': return 'in transition';
    case 'contested': return 'contested';
    case 'unknown': return 'status unknown';
    default: return '';
  }
}

/** isUnsettled reports whether a status is drawn with a dashed ring. */
export function isUnsettled(status, controller) {
  return status === 'besieged' || status === 'contested' || status === 'transition' || controller === 'contested';
}

/** controllerOrder orders controllers in summaries. */
export const controllerOrder = ['government', 'sdf', 'contested', 'turkey_sna', 'us', 'iraq'];

/** UI holds the few interface strings the widget shows in both languages. */
export const UI = {
  en: { full: 'Open the full map', date: 'Date', prev: 'Previous change', next: 'Next change', play: 'Play', pause: 'Pause', showing: 'Showing' },
  ar: { full: 'افتح الخريطة الكاملة', date: 'التاريخ', prev: 'التغيير السابق', next: 'التغيير التالي', play: 'تشغيل', pause: 'إيقاف', showing: 'التاريخ المعروض' },
};
