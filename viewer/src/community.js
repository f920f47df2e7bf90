// Community-led upgrading in the viewer (issue 13): the councils and projects layers on top, and the
// investment-versus-need map, which colours settlements by where needs are highest and investment lowest
// (GET /api/cities/{slug}/community/analysis). Kept apart from main.js; main.js only calls initCommunity.
import { Fill, Stroke, Style } from 'ol/style.js';

/** Settlement colours by gap = deprivation percentile − investment-per-person percentile (see the analysis). */
export const gapClasses = [
  [0.25, '#b2182b', 'high need, low investment'],
  [0, '#ef8a62', 'need above investment'],
  [-0.25, '#67a9cf', 'investment above need'],
  [-Infinity, '#2166ac', 'low need, high investment'],
];
const gapStyles = gapClasses.map(([, c]) => new Style({ fill: new Fill({ color: c + 'bb' }), stroke: new Stroke({ color: c, width: 1.5 }) }));
const noData = new Style({ fill: new Fill({ color: 'rgba(150,150,150,0.15)' }), stroke: new Stroke({ color: '#999', width: 0.5 }) });

export function gapStyle(gap) {
  if (typeof gap !== 'number') return noData;
  const i = gapClasses.findIndex(([min]) => gap >= min);
  return gapStyles[i];
}

/**
 * Wires the community layers and the investment-versus-need view.
 * @param {{ api: Function, el: Function, tileLayers: object, city: () => string, pane: HTMLElement, stats: object }} ctx
 */
export function initCommunity({ api, el, tileLayers, city, pane, stats }) {
  // Above the reference layers, under the drawing and problem layers (zIndex 40+).
  if (tileLayers.councils) { tileLayers.councils.layer.setZIndex(30); tileLayers.councils.layer.setVisible(true); }
  if (tileLayers.projects) { tileLayers.projects.layer.setZIndex(31); tileLayers.projects.layer.setVisible(true); }
  const settlements = tileLayers.settlements?.layer;
  if (!settlements || !pane) return;
  const normal = settlements.getStyle();
  const box = el('input', { type: 'checkbox', id: 'investment-need' });
  const legend = el('ul', { class: 'legend', id: 'investment-need-legend', hidden: true },
    gapClasses.map(([, c, label]) => el('li', {}, el('span', { class: 'swatch', style: `background:${c}` }), label)),
    el('li', {}, el('span', { class: 'swatch', style: 'background:#ccc' }), 'no deprivation or population data'));
  const status = el('div', { class: 'muted', id: 'investment-need-status' });
  pane.append(el('div', { class: 'community' },
    el('label', { for: 'investment-need' }, box, ' Investment versus need (settlements)'), legend, status));

  box.addEventListener('change', async () => {
    legend.hidden = !box.checked;
    if (!box.checked) { settlements.setStyle(normal); status.textContent = ''; return; }
    status.textContent = 'Loading…';
    const res = await api(`/api/cities/${encodeURIComponent(city())}/community/analysis`);
    if (!res.ok) { status.textContent = res.json?.detail ?? `HTTP ${res.status}`; return; }
    const byId = new Map(res.json.investment.settlements.map((s) => [s.id, s]));
    stats.investmentNeed = byId.size;
    settlements.setStyle((f) => gapStyle(byId.get(Number(f.getId()))?.gap));
    settlements.setVisible(true);
    const d = res.json.delivery;
    const j = res.json.jobs;
    status.textContent = `${byId.size} settlements with data · coverage ${pct(res.json.coverage.share)} of settlement area · `
      + `completion ${pct(d.completionRate)}, maintenance ${pct(d.maintenanceRate)} · women's share of jobs ${pct(j.womenShare)}`;
  });
}

const pct = (v) => (typeof v === 'number' ? `${(v * 100).toFixed(1)} %` : '–');
