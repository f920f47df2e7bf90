// English and Dari strings; Dari is written right to left. Dates are shown in both calendars (Solar Hijri and Gregorian).
const strings = {
  en: {
    title: 'UrbanMonitor', city: 'City', signIn: 'Sign in', signOut: 'Sign out', layers: 'Layers', details: 'Details',
    register: 'Register', planner: 'Planner', indicators: 'Indicators', gis: 'GIS', registryAsOf: 'Registry as of', now: 'Now',
    clickHint: 'Click a parcel or settlement on the map.', draw: 'Draw parcel', editVertices: 'Edit vertices', clear: 'Clear',
    drawHint: 'Click to add corners (snaps to neighbours), double-click or Enter to finish, Backspace removes a corner, Esc cancels.',
    district: 'District', block: 'Block', parcel: 'Parcel', rights: 'Parties and rights', addRight: 'Add right', submit: 'Submit',
    pickSettlement: 'Click a settlement on the map to see its analysis.', pasteToken: 'Paste a token', cancel: 'Cancel',
    demoUsers: 'Demo users', today: 'today', noShape: 'Draw the parcel on the map first.', saved: 'Registered', certificate: 'Certificate',
    kind: 'Right', share: 'Share', partyKind: 'Party', name: 'Name', idDocument: 'ID document', remove: 'Remove',
    copy: 'Copy', copied: 'Copied', tilejson: 'TileJSON', ogc: 'OGC API', geojson: 'GeoJSON', legend: 'Legend',
    area: 'Area', population: 'Population', density: 'Density (per km²)', byStatus: 'Properties by status', access: 'Access',
    exposure: 'Exposure', nearestStop: 'Nearest stop (m)', value: 'Value', formula: 'Formula', method: 'Method', compute: 'Show',
    choropleth: 'Map by district', loading: 'Loading…', transactions: 'Transactions', disputes: 'Disputes', approve: 'Approve',
    reject: 'Reject', pending: 'Pending', history: 'History', signedInAs: 'Signed in as', badToken: 'The token was not accepted.',
    basemap: 'Basemap', none: 'none',
  },
  fa: {
    title: 'نظارت شهری', city: 'شهر', signIn: 'ورود', signOut: 'خروج', layers: 'لایه‌ها', details: 'جزئیات',
    register: 'ثبت', planner: 'پلان‌گذار', indicators: 'شاخص‌ها', gis: 'جی‌آی‌اس', registryAsOf: 'ثبت تا تاریخ', now: 'اکنون',
    clickHint: 'روی یک قطعه یا مسکن غیررسمی در نقشه کلیک کنید.', draw: 'رسم قطعه', editVertices: 'ویرایش رأس‌ها', clear: 'پاک کردن',
    drawHint: 'برای افزودن گوشه کلیک کنید (به همسایه‌ها می‌چسبد)، با دوبار کلیک یا Enter پایان دهید، Backspace گوشه را حذف می‌کند، Esc لغو می‌کند.',
    district: 'ناحیه', block: 'بلاک', parcel: 'قطعه', rights: 'طرف‌ها و حقوق', addRight: 'افزودن حق', submit: 'ارسال',
    pickSettlement: 'برای دیدن تحلیل، روی یک مسکن غیررسمی کلیک کنید.', pasteToken: 'توکن را اینجا بگذارید', cancel: 'لغو',
    demoUsers: 'کاربران نمایشی', today: 'امروز', noShape: 'نخست قطعه را روی نقشه رسم کنید.', saved: 'ثبت شد', certificate: 'سند',
    kind: 'حق', share: 'سهم', partyKind: 'طرف', name: 'نام', idDocument: 'سند هویت', remove: 'حذف',
    copy: 'کاپی', copied: 'کاپی شد', tilejson: 'TileJSON', ogc: 'OGC API', geojson: 'GeoJSON', legend: 'رهنما',
    area: 'مساحت', population: 'نفوس', density: 'تراکم (در کیلومتر مربع)', byStatus: 'املاک بر اساس وضعیت', access: 'دسترسی',
    exposure: 'خطرپذیری', nearestStop: 'نزدیک‌ترین ایستگاه (متر)', value: 'ارزش', formula: 'فرمول', method: 'روش', compute: 'نمایش',
    choropleth: 'نقشه بر اساس ناحیه', loading: 'در حال بارگذاری…', transactions: 'معاملات', disputes: 'منازعات', approve: 'تأیید',
    reject: 'رد', pending: 'در انتظار', history: 'تاریخچه', signedInAs: 'وارد شده به نام', badToken: 'توکن پذیرفته نشد.',
    basemap: 'نقشه پایه', none: 'هیچ',
  },
};

let lang = localStorage.getItem('um.lang') === 'fa' ? 'fa' : 'en';

export const t = (key) => strings[lang][key] ?? strings.en[key] ?? key;
export const currentLang = () => lang;

/** Applies the language to the page: lang, dir (rtl for Dari) and every [data-i18n] element. */
export function applyLang(next) {
  lang = next;
  localStorage.setItem('um.lang', lang);
  document.documentElement.lang = lang === 'fa' ? 'fa-AF' : 'en';
  document.documentElement.dir = lang === 'fa' ? 'rtl' : 'ltr';
  document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  const btn = document.getElementById('lang-btn');
  btn.textContent = lang === 'fa' ? 'English' : 'دری';
  btn.lang = lang === 'fa' ? 'en' : 'fa';
}

const persian = new Intl.DateTimeFormat('fa-AF-u-ca-persian', { year: 'numeric', month: 'long', day: 'numeric' });
const gregorian = () => new Intl.DateTimeFormat(lang === 'fa' ? 'fa-AF-u-ca-gregory' : 'en-GB', { year: 'numeric', month: 'long', day: 'numeric' });

/** A date in both calendars: Solar Hijri and Gregorian. */
export function bothCalendars(date) {
  const d = date instanceof Date ? date : new Date(date);
  if (Number.isNaN(d.getTime())) return String(date);
  return lang === 'fa' ? `${persian.format(d)} (${gregorian().format(d)})` : `${gregorian().format(d)} (${persian.format(d)})`;
}

/** Adds a module's own strings ({en: {...}, fa: {...}}), so each panel keeps its words beside its code. */
export function addStrings(more) {
  for (const [l, words] of Object.entries(more)) Object.assign(strings[l], words);
}
