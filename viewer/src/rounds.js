// Planner: two survey rounds of a settlement compared on the map (/api/settlements/{id}/rounds.geojson): the earlier
// outline dashed, the later one solid, the area added in green and the area lost in red, with their areas.
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import { Fill, Stroke, Style } from 'ol/style.js';
import { addStrings } from './i18n.js';

addStrings({
  en: { compareRounds: 'Compare survey rounds', from: 'From', to: 'To', compare: 'Compare', 'part.from': 'earlier outline', 'part.to': 'later outline', 'part.added': 'area added', 'part.lost': 'area lost' },
  fa: { compareRounds: 'مقایسهٔ دوره‌های سروی', from: 'از', to: 'تا', compare: 'مقایسه', 'part.from': 'مرز پیشین', 'part.to': 'مرز پسین', 'part.added': 'مساحت افزوده', 'part.lost': 'مساحت ازدست‌رفته' },
});

/** How each part is drawn; the legend uses the same colours. */
export const ROUND_STYLES = {
  from: { colour: '#566573', style: new Style({ stroke: new Stroke({ color: '#566573', width: 2, lineDash: [6, 4] }) }) },
  to: { colour: '#1f618d', style: new Style({ stroke: new Stroke({ color: '#1f618d', width: 2.5 }) }) },
  added: { colour: '#27ae60', style: new Style({ fill: new Fill({ color: 'rgba(39,174,96,0.55)' }), stroke: new Stroke({ color: '#1e8449', width: 1 }) }) },
  lost: { colour: '#c0392b', style: new Style({ fill: new Fill({ color: 'rgba(192,57,43,0.55)' }), stroke: new Stroke({ color: '#922b21', width: 1 }) }) },
};

export function createRoundComparison({ api, el, t, map, view, stats, problemBox }) {
  const source = new VectorSource();
  const geojson = new GeoJSON();
  // Fills first, outlines on top so both stay visible.
  const order = { added: 0, lost: 1, from: 2, to: 3 };
  map.addLayer(new VectorLayer({
    source, zIndex: 45, properties: { id: 'rounds' },
    style: (f) => ROUND_STYLES[f.get('part')]?.style,
    renderOrder: (a, b) => order[a.get('part')] - order[b.get('part')],
  }));

  async function compare(id, from, to, out) {
    const q = new URLSearchParams();
    if (from) q.set('from', from);
    if (to) q.set('to', to);
    const r = await api(`/api/settlements/${id}/rounds.geojson?${q}`);
    source.clear();
    if (!r.ok) { out.replaceChildren(problemBox(r)); return; }
    const features = geojson.readFeatures(r.json, { dataProjection: 'EPSG:4326', featureProjection: 'EPSG:3857' });
    source.addFeatures(features);
    stats.rounds = Object.fromEntries(features.map((f) => [f.get('part'), f.get('areaM2')]));
    if (!source.isEmpty()) view.fit(source.getExtent(), { padding: [40, 40, 40, 40], maxZoom: 19, duration: 0 });
    out.replaceChildren(el('ul', { class: 'legend rounds-legend', id: 'rounds-legend' }, features.map((f) => {
      const part = f.get('part');
      const colour = ROUND_STYLES[part]?.colour ?? '#333';
      return el('li', { 'data-part': part },
        el('span', { class: 'swatch', style: part === 'from' || part === 'to' ? `border:2px ${part === 'from' ? 'dashed' : 'solid'} ${colour};background:transparent` : `background:${colour}` }),
        `${t(`part.${part}`)} (${f.get('round')}): ${Math.round(f.get('areaM2')).toLocaleString('en')} m²`);
    })));
  }

  /** The comparison controls for a settlement's analysis; null when it has fewer than two rounds. */
  function section(analysis) {
    const rounds = (analysis.rounds ?? []).map((r) => r.round);
    if (rounds.length < 2) return null;
    const pick = (name, value) => {
      const s = el('select', { id: `round-${name}`, 'aria-label': t(name) }, rounds.map((r) => el('option', { value: r }, r)));
      s.value = value;
      return s;
    };
    const from = pick('from', analysis.change?.from ?? rounds[rounds.length - 2]);
    const to = pick('to', analysis.change?.to ?? rounds[rounds.length - 1]);
    const out = el('div', {});
    return el('section', { class: 'rounds' }, el('h4', {}, t('compareRounds')),
      el('div', { class: 'row' }, el('label', {}, `${t('from')} `, from), el('label', {}, `${t('to')} `, to),
        el('button', { type: 'button', id: 'compare-rounds', onclick: () => compare(analysis.id, from.value, to.value, out) }, t('compare'))),
      out);
  }

  return { section, clear: () => source.clear() };
}
