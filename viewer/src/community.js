// Community-led upgrading in the viewer (issue 13): the councils and projects layers on top, and the
// investment-versus-need map, which colours settlements by where needs are highest and investment lowest
// (GET /api/cities/{slug}/community/analysis). A click on a project or council shows what it is: a council's
// composition and the rules it breaks, what it asked for, its projects; a project's money, status and jobs.
// Kept apart from main.js; main.js only calls initCommunity.
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

const money = (v) => (typeof v === 'number' ? v.toLocaleString('en', { maximumFractionDigits: 2 }) : '–');

/** A council as the viewer shows it (public view: counts, never members' names). */
function councilInfo(el, c) {
  const v = c.composition?.violations ?? [];
  return [
    el('h4', {}, `${c.name} (${c.code})`),
    el('table', { class: 'kv' },
      el('tr', {}, el('th', {}, 'status'), el('td', {}, `${c.status}${c.electedOn ? `, elected ${c.electedOn}` : ''}`)),
      el('tr', {}, el('th', {}, 'members'), el('td', {}, `${c.composition.members} (${c.composition.women} women, ${c.composition.displaced} displaced)`)),
      el('tr', {}, el('th', {}, 'composition'), el('td', v.length ? { style: 'color:#b2182b' } : {}, v.length ? `breaks the rule: ${v.join(', ')}` : 'ok')),
      el('tr', {}, el('th', {}, 'asked for'), el('td', {}, c.plan ? `${c.plan.needs.join(' › ')} (plan of ${c.plan.adoptedOn})` : 'no action plan yet'))),
    el('ul', { class: 'legend' }, (c.projects ?? []).map((p) => el('li', {}, `${p.code} ${p.name}: ${p.type}, ${p.status}, ${money(p.contractAmount)}`))),
  ];
}

/** A project as the viewer shows it. */
function projectInfo(el, p) {
  const last = (p.statusHistory ?? []).at(-1);
  const audit = (p.socialAudits ?? []).at(-1);
  return [
    el('h4', {}, `${p.name} (${p.code})`),
    el('table', { class: 'kv' },
      el('tr', {}, el('th', {}, 'council'), el('td', {}, `${p.council.name} (${p.council.code})`)),
      el('tr', {}, el('th', {}, 'type'), el('td', {}, `${p.type}, by ${p.executingParty}`)),
      el('tr', {}, el('th', {}, 'status'), el('td', {}, `${p.status}${last?.reason ? ` (${last.reason})` : ''}`)),
      el('tr', {}, el('th', {}, 'contract'), el('td', {}, `${money(p.contractAmount)}, paid ${money(p.disbursed)}, remaining ${money(p.remaining)}`)),
      el('tr', {}, el('th', {}, 'beneficiaries'), el('td', {}, p.beneficiaries ?? '–')),
      el('tr', {}, el('th', {}, 'jobs'), el('td', {}, `${p.jobs.personDays} person-days, women ${pct(p.jobs.womenShare)}`)),
      el('tr', {}, el('th', {}, 'social audits'), el('td', {}, audit ? `${p.socialAudits.length}, last ${audit.heldOn}: ${audit.rating}` : 'none yet'))),
  ];
}

/**
 * Wires the community layers, the click on a council or project, and the investment-versus-need view.
 * @param {{ api: Function, el: Function, tileLayers: object, city: () => string, pane: HTMLElement, stats: object,
 *           map?: object, showTab?: Function }} ctx
 */
export function initCommunity({ api, el, tileLayers, city, pane, stats, map, showTab }) {
  // Above the reference layers, under the drawing and problem layers (zIndex 40+).
  if (tileLayers.councils) { tileLayers.councils.layer.setZIndex(30); tileLayers.councils.layer.setVisible(true); }
  if (tileLayers.projects) { tileLayers.projects.layer.setZIndex(31); tileLayers.projects.layer.setVisible(true); }
  if (!pane) return;
  const info = el('div', { class: 'community-info', id: 'community-info', 'aria-live': 'polite' });
  pane.append(info);
  // A project (small, on top) wins over everything; a council over the settlement it covers, not over a parcel, whose
  // identify (main.js) keeps its tab. The info shows on this (Layers) tab.
  map?.on('singleclick', async (e) => {
    // While registering, clicks draw a parcel: not an identify.
    if (document.getElementById('pane-register')?.hidden === false) return;
    // layer.getFeatures reads the layer's own hit-detection canvas; map.forEachFeatureAtPixel misses tile points here.
    let hit = null;
    for (const id of ['projects', 'councils']) {
      const layer = tileLayers[id]?.layer;
      const [f] = layer?.getVisible() ? await layer.getFeatures(e.pixel) : [];
      if (f) { hit = { id, fid: Number(f.getId()) }; break; }
    }
    if (!hit) return;
    const parcel = map.forEachFeatureAtPixel(e.pixel, () => true, { hitTolerance: 3, layerFilter: (l) => l.get('id') === 'properties' });
    if (hit.id === 'projects' || !parcel) showTab?.('layers');
    info.replaceChildren(el('p', { class: 'muted' }, 'Loading…'));
    const res = await api(`/api/${hit.id}/${hit.fid}`);
    if (!res.ok) { info.replaceChildren(el('p', { class: 'muted' }, res.json?.detail ?? `HTTP ${res.status}`)); return; }
    info.replaceChildren(...(hit.id === 'projects' ? projectInfo(el, res.json) : councilInfo(el, res.json)));
    stats.communityInfo = `${hit.id}:${res.json.code}`;
  });
  const settlements = tileLayers.settlements?.layer;
  if (!settlements) return;
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
