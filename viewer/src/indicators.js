// The indicators dashboard: each indicator's definition, formula, method, value and provenance; a district choropleth
// drawn from the service's own tiles (/tiles/indicators/{z}/{x}/{y}.mvt?indicator=) with class breaks taken from the
// city's stored results and a legend; time series (/api/indicators/{code}/series) as small SVG line charts.
import VectorTileLayer from 'ol/layer/VectorTile.js';
import VectorTileSource from 'ol/source/VectorTile.js';
import MVT from 'ol/format/MVT.js';
import { Fill, Stroke, Style } from 'ol/style.js';
import { lineChart } from './charts.js';
import { addStrings } from './i18n.js';

addStrings({
  en: { series: 'Over time', noStored: 'No stored results for this city yet (urbanmonitor indicators recompute).', noValue: 'no value', provenance: 'Provenance' },
  fa: { series: 'در طول زمان', noStored: 'برای این شهر هنوز نتیجه‌ای ذخیره نشده است.', noValue: 'بدون ارزش', provenance: 'منشأ' },
});

/** Light to dark: the colours of up to five classes. */
export const PALETTE = ['#fee5d9', '#fcae91', '#fb6a4a', '#de2d26', '#a50f15'];
const NO_VALUE = '#d5d8dc';

/** Class breaks (lower bounds, ascending, distinct): quantiles of the values in up to five classes; [] without values. */
export function classBreaks(values, classes = 5) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return [];
  const breaks = [];
  for (let i = 0; i < classes; i++) breaks.push(v[Math.floor(i * v.length / classes)]);
  return [...new Set(breaks)];
}

/** The colour of a value: its class's palette entry (spread over the palette when there are fewer classes). */
export function colourOf(value, breaks) {
  if (typeof value !== 'number' || !breaks.length) return NO_VALUE;
  let k = 0;
  breaks.forEach((b, i) => { if (value >= b) k = i; });
  return PALETTE[breaks.length === 1 ? 2 : Math.round(k * (PALETTE.length - 1) / (breaks.length - 1))];
}

const round = (v) => (Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 100) / 100);

export function createIndicatorDashboard({ api, el, t, map, stats, table, problemBox, city }) {
  let layer = null;
  const styles = {};
  const styleOf = (colour) => (styles[colour] ??= new Style({ fill: new Fill({ color: colour + 'd9' }), stroke: new Stroke({ color: '#424949', width: 1 }) }));

  async function showChoropleth(ind, box) {
    if (layer) map.removeLayer(layer);
    const slug = city();
    const [tj, stored] = await Promise.all([
      api(`/tiles/indicators.json?indicator=${encodeURIComponent(ind.code)}`),
      api(`/api/indicators/results?city=${encodeURIComponent(slug)}`),
    ]);
    if (!tj.ok) { box.replaceChildren(problemBox(tj)); return; }
    const results = (stored.json?.results ?? []).filter((r) => r.code === ind.code && r.district);
    const breaks = classBreaks(results.map((r) => r.value));
    const source = new VectorTileSource({ format: new MVT(), url: decodeURI(new URL(tj.json.tiles[0], window.location.origin).toString()), attributions: tj.json.attribution });
    stats.features.indicators = 0;
    source.on('tileloadend', (e) => { stats.features.indicators += e.tile.getFeatures?.()?.length ?? 0; });
    layer = new VectorTileLayer({
      source, zIndex: 9, opacity: 0.85, properties: { id: 'indicators', title: tj.json.name },
      style: (f) => styleOf(colourOf(f.get('value'), breaks)),
    });
    map.addLayer(layer);
    window.umViewer.choropleth = { code: ind.code, breaks, districts: results.length };

    const unit = ind.unit && ind.unit !== 'ratio' ? ` ${ind.unit}` : '';
    const max = Math.max(...results.map((r) => r.value).filter((v) => typeof v === 'number'));
    const legend = el('ul', { class: 'legend choropleth-legend', id: 'choropleth-legend', 'aria-label': `${t('legend')}: ${ind.code}` },
      breaks.map((b, i) => el('li', {}, el('span', { class: 'swatch', style: `background:${colourOf(b, breaks)}` }),
        `${round(b)} – ${round(i + 1 < breaks.length ? breaks[i + 1] : max)}${unit}`)),
      el('li', {}, el('span', { class: 'swatch', style: `background:${NO_VALUE}` }), t('noValue')));
    document.getElementById('choropleth-legend')?.closest('.choropleth')?.remove();
    box.replaceChildren(el('div', { class: 'choropleth' }, el('strong', {}, `${ind.code} — ${ind.name ?? ''}`),
      results.length ? legend : el('p', { class: 'muted' }, t('noStored')),
      el('p', { class: 'muted' }, tj.json.attribution ?? '')));
  }

  async function showSeries(ind, box) {
    const r = await api(`/api/indicators/${encodeURIComponent(ind.code)}/series?city=${encodeURIComponent(city())}`);
    if (!r.ok) { box.replaceChildren(problemBox(r)); return; }
    const points = (r.json.points ?? []).map((p) => ({ x: p.year, y: p.value, label: p.fromYear ? `${p.fromYear}–${p.year}` : String(p.year) }));
    const notes = (r.json.points ?? []).filter((p) => p.reason).map((p) => el('li', {}, `${p.fromYear ? `${p.fromYear}–` : ''}${p.year}: ${p.reason}`));
    box.replaceChildren(el('h5', {}, t('series')), lineChart(points, { unit: ind.unit === '%' ? '%' : '', label: ind.code }),
      ...(notes.length ? [el('ul', { class: 'muted' }, notes)] : []));
  }

  async function render() {
    const box = document.getElementById('indicators');
    const list = await api('/api/indicators');
    if (!list.ok) { box.replaceChildren(problemBox(list)); return; }
    const mapBox = el('div', { id: 'choropleth-box' });
    box.replaceChildren(mapBox, ...(list.json.indicators ?? []).map((ind) => {
      const result = el('div', { class: 'ind-value' });
      const series = el('div', { class: 'ind-series' });
      return el('article', { class: 'indicator', 'data-code': ind.code },
        el('h4', {}, `${ind.code} ${ind.name ?? ''}`),
        el('p', {}, ind.definition ?? ''),
        el('p', { class: 'muted' }, `${t('formula')}: ${ind.formula ?? ''}`),
        el('p', { class: 'muted' }, `${t('method')}: ${ind.method ?? ''} (${ind.methodVersion ?? ''})`),
        el('div', { class: 'row' },
          el('button', { type: 'button', 'data-action': 'value', onclick: async () => {
            const r = await api(`/api/indicators/${encodeURIComponent(ind.code)}?city=${encodeURIComponent(city())}`);
            if (!r.ok) { result.replaceChildren(problemBox(r)); return; }
            const { inputs, provenance, ...rest } = r.json;
            result.replaceChildren(table(rest), el('details', {}, el('summary', {}, t('provenance')), table(inputs ?? {}),
              el('ul', { class: 'muted' }, (provenance?.layers ?? []).map((l) => el('li', {}, `${l.layer} v${l.version ?? '—'} — ${l.source ?? ''}`)))));
          } }, t('compute')),
          el('button', { type: 'button', 'data-action': 'map', onclick: () => showChoropleth(ind, mapBox) }, t('choropleth')),
          el('button', { type: 'button', 'data-action': 'series', onclick: () => showSeries(ind, series) }, t('series'))),
        result, series);
    }));
  }

  return { render };
}
