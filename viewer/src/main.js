// UrbanMonitor's viewer: the service's own vector tiles, identify, sign-in, parcel registration with the API's errors
// drawn on the map, settlement analysis, indicators and the GIS team's URLs. Every request goes to the same origin.
import 'ol/ol.css';
import './viewer.css';
import Map from 'ol/Map.js';
import View from 'ol/View.js';
import VectorTileLayer from 'ol/layer/VectorTile.js';
import VectorTileSource from 'ol/source/VectorTile.js';
import TileLayer from 'ol/layer/Tile.js';
import XYZ from 'ol/source/XYZ.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import MVT from 'ol/format/MVT.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import WKT from 'ol/format/WKT.js';
import Draw from 'ol/interaction/Draw.js';
import Modify from 'ol/interaction/Modify.js';
import Snap from 'ol/interaction/Snap.js';
import ScaleLine from 'ol/control/ScaleLine.js';
import { defaults as defaultControls } from 'ol/control/defaults.js';
import { transformExtent, toLonLat } from 'ol/proj.js';
import { bbox as bboxStrategy } from 'ol/loadingstrategy.js';
import { t, applyLang, currentLang, bothCalendars } from './i18n.js';
import { layerStyles, fallbackStyle, problemStyle, sketchStyle } from './styles.js';
import { createIndicatorDashboard } from './indicators.js';
import { createWorkQueue } from './workqueue.js';
import { createRoundComparison } from './rounds.js';
import { initCommunity } from './community.js';

const $ = (id) => document.getElementById(id);
const origin = window.location.origin;
const geojson = new GeoJSON();
const wkt = new WKT();
const VISIBLE_AT_START = new Set(['districts', 'settlements', 'properties', 'transit-stops']);

const state = { token: sessionStorage.getItem('um.token'), me: null, at: null, config: null, cities: [], tileLayers: {} };

// Test hook (browser tests read it): features decoded per layer, tiles loaded/failed, problem features drawn.
const stats = { features: {}, tilesLoaded: 0, tileErrors: 0, problemFeatures: 0, lastProblem: null, lastSaved: null };
window.umViewer = { stats, state };

// ---------- HTTP ----------
async function api(path, { method = 'GET', body, type } = {}) {
  const headers = { Accept: 'application/json, application/geo+json, application/problem+json' };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  if (body !== undefined) headers['Content-Type'] = type ?? 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  return { ok: res.ok, status: res.status, json, text, headers: res.headers };
}

const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
};

// ---------- Map ----------
const view = new View({ center: [0, 0], zoom: 2, maxZoom: 22 });
const problemSource = new VectorSource();
const sketchSource = new VectorSource();
const neighbourSource = new VectorSource({
  format: geojson,
  strategy: bboxStrategy,
  url: (extent) => {
    const [w, s, e, n] = transformExtent(extent, 'EPSG:3857', 'EPSG:4326');
    return `/collections/properties/items?limit=1000&bbox=${[w, s, e, n].map((v) => v.toFixed(6)).join(',')}`;
  },
});
const map = new Map({
  target: 'map',
  view,
  controls: defaultControls({ attributionOptions: { collapsible: false } }).extend([new ScaleLine()]),
});
window.umViewer.map = map;

function tileUrl(id, base) {
  const url = new URL(base, origin);
  if (id === 'properties' && state.at) url.searchParams.set('at', state.at);
  return decodeURI(url.toString());
}

async function addTileLayer(def, z) {
  const tj = await api(`/tiles/${def.id}.json`);
  const base = tj.ok && tj.json?.tiles?.[0] ? tj.json.tiles[0] : `/tiles/${def.id}/{z}/{x}/{y}.mvt`;
  const source = new VectorTileSource({
    format: new MVT(),
    url: tileUrl(def.id, base),
    minZoom: def.minZoom,
    maxZoom: def.maxZoom,
    attributions: tj.json?.attribution ? [tj.json.attribution] : undefined,
  });
  stats.features[def.id] = 0;
  source.on('tileloadend', (e) => {
    stats.tilesLoaded++;
    const fs = typeof e.tile.getFeatures === 'function' ? e.tile.getFeatures() : [];
    stats.features[def.id] += fs?.length ?? 0;
  });
  source.on('tileloaderror', () => { stats.tileErrors++; });
  const style = layerStyles[def.id] ?? fallbackStyle;
  const layer = new VectorTileLayer({
    source, style: style.style, zIndex: z, visible: VISIBLE_AT_START.has(def.id),
    minZoom: Math.max(0, def.minZoom - 0.01), declutter: false, properties: { id: def.id, title: def.title },
  });
  map.addLayer(layer);
  state.tileLayers[def.id] = { def, layer, source, base };
  return layer;
}

function refreshTiles(id) {
  const entry = state.tileLayers[id];
  if (!entry) return;
  api(`/tiles/${id}.json`).then((tj) => {
    if (tj.ok && tj.json?.tiles?.[0]) entry.base = tj.json.tiles[0];
    entry.source.setUrl(tileUrl(id, entry.base));
    entry.source.refresh();
  });
}

// ---------- Layer switcher, legend, time slider ----------
function renderLayerList() {
  const ul = $('layer-list');
  ul.replaceChildren();
  for (const { def, layer } of Object.values(state.tileLayers)) {
    const id = `layer-${def.id}`;
    const box = el('input', { type: 'checkbox', id, 'data-layer': def.id });
    box.checked = layer.getVisible();
    box.addEventListener('change', () => layer.setVisible(box.checked));
    const legend = (layerStyles[def.id] ?? fallbackStyle).legend;
    ul.append(el('li', {},
      el('label', { for: id }, box, ` ${def.title}`),
      el('span', { class: 'muted' }, ` z${def.minZoom}–${def.maxZoom}`),
      el('ul', { class: 'legend', 'aria-label': `${t('legend')}: ${def.title}` },
        legend.map(([label, colour]) => el('li', {}, el('span', { class: 'swatch', style: `background:${colour}` }), label)))));
  }
}

function setAt(daysBack) {
  if (daysBack === 0) {
    state.at = null;
    $('at-label').textContent = `${t('today')}: ${bothCalendars(new Date())}`;
  } else {
    const d = new Date(Date.now() + daysBack * 86400000);
    state.at = d.toISOString().slice(0, 10);
    $('at-label').textContent = bothCalendars(d);
  }
  refreshTiles('properties');
}

// ---------- Tabs ----------
function showTab(name) {
  document.querySelectorAll('[role=tab]').forEach((b) => b.setAttribute('aria-selected', String(b.dataset.tab === name)));
  document.querySelectorAll('[role=tabpanel]').forEach((p) => { p.hidden = p.id !== `pane-${name}`; });
  if (name === 'register') neighbourSource.refresh();
  if (name === 'queue') queue.render();
}

// ---------- Sign-in ----------
async function signIn(token) {
  const prev = state.token;
  state.token = token;
  const me = await api('/api/me');
  if (!me.ok || !me.json) {
    state.token = prev;
    return false;
  }
  sessionStorage.setItem('um.token', token);
  state.me = me.json;
  renderWho();
  return true;
}

function roles() {
  const r = state.me?.roles ?? state.me?.role ?? [];
  return Array.isArray(r) ? r : [r];
}

function renderWho() {
  const signedIn = !!state.me;
  $('who').textContent = signedIn ? `${t('signedInAs')} ${state.me.name ?? state.me.sub} (${roles().join(', ')})` : '';
  $('signin-btn').hidden = signedIn;
  $('signout-btn').hidden = !signedIn;
  const officer = roles().some((r) => r === 'land-officer' || r === 'admin' || r === 'supervisor');
  $('tab-register').hidden = !officer;
  $('tab-queue').hidden = !officer;
  const districts = state.me?.districts ?? [];
  const first = (Array.isArray(districts) ? districts : [districts]).find((d) => d && d !== '*');
  if (first && first.includes(':')) {
    const [slug, code] = first.split(':');
    if (!$('f-city').value) $('f-city').value = slug;
    if (!$('f-district').value) $('f-district').value = code;
  }
}

function openSignIn() {
  $('signin-error').hidden = true;
  const box = $('demo-users');
  box.replaceChildren();
  const users = state.config?.demoUsers;
  if (Array.isArray(users) && users.length) {
    box.append(el('h3', {}, t('demoUsers')));
    const list = el('ul', { class: 'demo-users' });
    for (const u of users) {
      list.append(el('li', {}, el('button', {
        type: 'button', 'data-login': u.login ?? u.name,
        onclick: async () => {
          if (await signIn(u.token)) $('signin').close();
          else { $('signin-error').textContent = t('badToken'); $('signin-error').hidden = false; }
        },
      }, `${u.name} — ${(u.roles ?? [u.role]).join(', ')} ${(u.districts ?? []).join(' ')}`)));
    }
    box.append(list);
  }
  $('signin').showModal();
}

// ---------- Identify ----------
function table(obj) {
  const rows = Object.entries(obj).filter(([, v]) => v === null || typeof v !== 'object');
  return el('table', { class: 'kv' }, rows.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, formatValue(k, v)))));
}

function formatValue(key, v) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v) && /(date|at|on|from|to|since|until|time)$/i.test(key)) return bothCalendars(v);
  return String(v);
}

async function identifyProperty(id) {
  showTab('identify');
  const out = $('identify');
  out.replaceChildren(el('p', { class: 'muted' }, t('loading')));
  const q = state.at ? `?at=${encodeURIComponent(state.at)}` : '';
  const res = await api(`/api/properties/${id}${q}`);
  if (!res.ok) { out.replaceChildren(problemBox(res)); return; }
  const p = res.json;
  const props = p.properties ?? p;
  const parts = [el('h3', {}, props.code ?? `#${id}`), table(props)];
  const rights = props.rights ?? p.rights;
  if (Array.isArray(rights) && rights.length) {
    parts.push(el('h4', {}, t('rights')), el('ul', {}, rights.map((r) =>
      el('li', {}, `${r.kind ?? ''} ${r.share ?? ''} — ${r.party?.name ?? r.partyName ?? ''}`))));
  }
  parts.push(el('p', {}, el('a', { href: `/api/properties/${id}/certificate`, target: '_blank', rel: 'noopener', id: 'certificate-link' }, t('certificate')),
    ' · ', el('a', { href: `/api/properties/${id}/history`, target: '_blank', rel: 'noopener' }, t('history'))));
  if (state.token) parts.push(await casework(id));
  out.replaceChildren(...parts);
}

// Transactions waiting for approval and disputes of one property, with the actions the API offers.
async function casework(id) {
  const box = el('div', { class: 'casework' });
  const [tx, disputes] = await Promise.all([api(`/api/properties/${id}/transactions`), api(`/api/properties/${id}/disputes`)]);
  const list = (res) => (Array.isArray(res.json) ? res.json : res.json?.items ?? res.json?.transactions ?? res.json?.disputes ?? []);
  if (tx.ok) {
    box.append(el('h4', {}, t('transactions')));
    const ul = el('ul', {});
    for (const x of list(tx)) {
      const li = el('li', {}, `#${x.id} ${x.kind ?? ''} — ${x.status ?? ''} ${x.lodgedAt ? bothCalendars(x.lodgedAt) : ''}`);
      if (x.status === 'lodged') {
        li.append(' ', el('button', { type: 'button', onclick: async () => { const r = await api(`/api/transactions/${x.id}/approve`, { method: 'POST', body: {} }); li.append(' ', r.ok ? '✓' : problemText(r)); } }, t('approve')),
          ' ', el('button', { type: 'button', onclick: async () => { const r = await api(`/api/transactions/${x.id}/reject`, { method: 'POST', body: { reason: 'rejected in the viewer' } }); li.append(' ', r.ok ? '✓' : problemText(r)); } }, t('reject')));
      }
      ul.append(li);
    }
    box.append(ul);
  }
  if (disputes.ok) {
    box.append(el('h4', {}, t('disputes')),
      el('ul', {}, list(disputes).map((d) => el('li', {}, `#${d.id} ${d.status ?? ''} ${d.reason ?? d.grounds ?? ''}`))));
  }
  return box;
}

async function identifySettlement(id) {
  showTab('planner');
  rounds.clear();
  const out = $('analysis');
  out.replaceChildren(el('p', { class: 'muted' }, t('loading')));
  const res = await api(`/api/settlements/${id}`);
  if (!res.ok) { out.replaceChildren(problemBox(res)); return; }
  const a = res.json;
  const m = a.metrics ?? {};
  const parts = [
    el('h3', { id: 'analysis-title' }, `${a.name ?? ''} ${a.code ? `(${a.code})` : ''}`),
    el('table', { class: 'kv' },
      el('tr', {}, el('th', {}, t('area')), el('td', {}, m.areaHa != null ? `${m.areaHa} ha` : '—')),
      el('tr', {}, el('th', {}, t('population')), el('td', {}, a.population ?? '—')),
      el('tr', {}, el('th', {}, t('density')), el('td', {}, m.populationPerKm2 ?? '—')),
      el('tr', {}, el('th', {}, t('nearestStop')), el('td', {}, a.access?.transit?.nearestStopM ?? '—'))),
  ];
  if (a.surveyedOn) parts.push(el('p', { class: 'muted' }, bothCalendars(a.surveyedOn)));
  const byStatus = a.properties?.byStatus ?? {};
  if (Object.keys(byStatus).length) parts.push(el('h4', {}, t('byStatus')), barChart(byStatus, (k) => layerStyles.properties.legend.find(([s]) => s === k)?.[1]));
  if (Array.isArray(a.exposure) && a.exposure.length) {
    parts.push(el('h4', {}, t('exposure')), barChart(Object.fromEntries(a.exposure.map((x) => [`${x.hazard} ${x.level ?? ''}`, Math.round((x.shareOfArea ?? 0) * 100)])), () => '#c0392b', '%'));
  }
  if (m.note) parts.push(el('p', { class: 'muted' }, m.note));
  const growth = rounds.section(a);
  if (growth) parts.push(growth);
  out.replaceChildren(...parts);
}

/** A small horizontal bar chart in SVG: one bar per entry, labelled with its value. */
function barChart(values, colour = () => '#2e86c1', unit = '') {
  const entries = Object.entries(values);
  const max = Math.max(1, ...entries.map(([, v]) => Number(v) || 0));
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  const h = 22;
  svg.setAttribute('viewBox', `0 0 300 ${entries.length * h}`);
  svg.setAttribute('class', 'chart');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', entries.map(([k, v]) => `${k}: ${v}${unit}`).join(', '));
  entries.forEach(([k, v], i) => {
    const w = Math.round((Number(v) || 0) / max * 170);
    const label = document.createElementNS(ns, 'text');
    Object.entries({ x: 0, y: i * h + 15, 'font-size': 12 }).forEach(([a, b]) => label.setAttribute(a, b));
    label.textContent = k;
    const rect = document.createElementNS(ns, 'rect');
    Object.entries({ x: 100, y: i * h + 4, width: w, height: 14, fill: colour(k) ?? '#2e86c1' }).forEach(([a, b]) => rect.setAttribute(a, b));
    const val = document.createElementNS(ns, 'text');
    Object.entries({ x: 104 + w, y: i * h + 15, 'font-size': 12 }).forEach(([a, b]) => val.setAttribute(a, b));
    val.textContent = `${v}${unit}`;
    svg.append(label, rect, val);
  });
  return svg;
}

map.on('singleclick', (e) => {
  // The click that closes a sketch reaches here ~250 ms after drawend (singleclick waits out a double click): not an identify.
  if (drawing || modifying || draw || Date.now() - lastDrawEnd < 1000) return;
  let hit = null;
  map.forEachFeatureAtPixel(e.pixel, (f, layer) => {
    const id = layer?.get('id');
    if (id === 'properties' || id === 'settlements') { hit = { id, fid: f.getId() }; return true; }
    return false;
  }, { hitTolerance: 3 });
  if (hit?.id === 'properties') identifyProperty(hit.fid);
  else if (hit?.id === 'settlements') identifySettlement(hit.fid);
});

// ---------- Registration (land officer) ----------
let draw = null;
let drawing = false;
let lastDrawEnd = 0;
let modifying = false;
const modify = new Modify({ source: sketchSource });
const snap = new Snap({ source: neighbourSource, pixelTolerance: 12 });
const snapSketch = new Snap({ source: sketchSource });

function startDraw() {
  stopDraw();
  sketchSource.clear();
  clearProblem();
  draw = new Draw({ source: sketchSource, type: 'Polygon', style: sketchStyle });
  draw.on('drawstart', () => { drawing = true; });
  draw.on('drawend', () => { lastDrawEnd = Date.now(); setTimeout(() => { drawing = false; stopDraw(); }, 0); });
  map.addInteraction(draw);
  map.addInteraction(snap);
  neighbourSource.refresh();
}

function stopDraw() {
  if (draw) map.removeInteraction(draw);
  draw = null;
  if (!modifying) map.removeInteraction(snap);
}

function toggleModify() {
  modifying = !modifying;
  $('modify-btn').setAttribute('aria-pressed', String(modifying));
  if (modifying) { map.addInteraction(modify); map.addInteraction(snap); map.addInteraction(snapSketch); } else { map.removeInteraction(modify); map.removeInteraction(snapSketch); if (!draw) map.removeInteraction(snap); }
}

function addRightRow(values = {}) {
  const row = el('div', { class: 'right-row' });
  const select = (name, options, v) => el('select', { 'data-f': name, 'aria-label': t(name) }, options.map((o) => { const opt = el('option', { value: o }, o); if (o === v) opt.selected = true; return opt; }));
  row.append(
    select('kind', ['ownership', 'occupancy-certificate', 'customary', 'lease', 'informal-occupancy'], values.kind),
    el('input', { 'data-f': 'share', type: 'number', min: '0.001', max: '1', step: 'any', value: values.share ?? '1', 'aria-label': t('share') }),
    select('partyKind', ['person', 'group', 'organisation'], values.partyKind),
    el('input', { 'data-f': 'name', placeholder: t('name'), 'aria-label': t('name'), value: values.name ?? '' }),
    el('input', { 'data-f': 'idDocument', placeholder: t('idDocument'), 'aria-label': t('idDocument'), value: values.idDocument ?? '' }),
    el('button', { type: 'button', onclick: () => row.remove() }, t('remove')));
  $('rights').append(row);
}

function readRights() {
  return [...document.querySelectorAll('.right-row')].map((row) => {
    const f = (n) => row.querySelector(`[data-f=${n}]`).value.trim();
    return { name: f('name'), right: { kind: f('kind'), share: Number(f('share')), party: { kind: f('partyKind'), name: f('name'), idDocument: f('idDocument') || undefined } } };
  }).filter((r) => r.name).map((r) => r.right);
}

function clearProblem() {
  problemSource.clear();
  stats.problemFeatures = 0;
  $('problem').hidden = true;
  $('result').hidden = true;
}

const problemText = (res) => res.json?.detail ?? res.json?.title ?? `HTTP ${res.status}`;
function problemBox(res) {
  return el('div', { class: 'problem', role: 'alert' }, el('strong', {}, res.json?.title ?? `HTTP ${res.status}`), el('p', {}, res.json?.detail ?? res.text.slice(0, 300)));
}

// Draws what a problem+json says about the geometry: each conflict's overlap and the `location` (a WKT point or area).
function showProblemOnMap(problem) {
  const wkts = [...(problem.conflicts ?? []).map((c) => c.overlap), problem.location].filter((x) => typeof x === 'string' && x.length);
  for (const w of wkts) {
    try {
      const f = wkt.readFeature(w, { dataProjection: 'EPSG:4326', featureProjection: 'EPSG:3857' });
      problemSource.addFeature(f);
    } catch { /* a location the viewer cannot read is still in the text */ }
  }
  stats.problemFeatures = problemSource.getFeatures().length;
}

async function submitParcel(ev) {
  ev.preventDefault();
  clearProblem();
  const shape = sketchSource.getFeatures()[0];
  if (!shape) { $('problem').replaceChildren(t('noShape')); $('problem').hidden = false; return; }
  const geometry = geojson.writeGeometryObject(shape.getGeometry(), { dataProjection: 'EPSG:4326', featureProjection: 'EPSG:3857', decimals: 8 });
  const properties = { city: $('f-city').value.trim(), district: $('f-district').value.trim(), block: $('f-block').value.trim(), parcel: $('f-parcel').value.trim() };
  const rights = readRights();
  if (rights.length) properties.rights = rights;
  const res = await api('/api/properties', { method: 'POST', body: { type: 'Feature', geometry, properties }, type: 'application/geo+json' });
  if (res.ok) {
    const id = res.json?.id ?? res.json?.properties?.id;
    const code = res.json?.properties?.code ?? res.json?.code ?? '';
    stats.lastSaved = { id, code };
    $('result').replaceChildren(`${t('saved')}: ${code} `, el('a', { href: `/api/properties/${id}/certificate`, target: '_blank', rel: 'noopener' }, t('certificate')));
    $('result').hidden = false;
    sketchSource.clear();
    refreshTiles('properties');
    neighbourSource.refresh();
    return;
  }
  stats.lastProblem = res.json ?? { status: res.status };
  $('problem').replaceChildren(problemBox(res));
  $('problem').hidden = false;
  if (res.json) showProblemOnMap(res.json);
}

// ---------- Indicators, work queue, survey rounds (own modules) ----------
const city = () => $('city').value;
const indicators = createIndicatorDashboard({ api, el, t, map, stats, table, problemBox, city });
const queue = createWorkQueue({ api, el, t, view, stats, problemText, bothCalendars, city, token: () => state.token, onDecided: () => refreshTiles('properties') });
const rounds = createRoundComparison({ api, el, t, map, view, stats, problemBox });
const renderIndicators = () => indicators.render();

// ---------- GIS team ----------
function renderGis() {
  const rows = Object.keys(state.tileLayers).map((id) => {
    const urls = [
      [t('tilejson'), `${origin}/tiles/${id}.json`],
      [t('ogc'), `${origin}/collections/${id}`],
      [t('geojson'), `${origin}/collections/${id}/items?f=json`],
    ];
    return el('section', { class: 'gis-layer' }, el('h4', {}, id), urls.map(([label, url]) => el('div', { class: 'copy-row' },
      el('span', {}, label), el('input', { readonly: true, value: url, 'aria-label': `${id} ${label}` }),
      el('button', { type: 'button', 'data-copy': url, onclick: (e) => copy(url, e.currentTarget) }, t('copy')))));
  });
  $('gis').replaceChildren(...rows);
}

async function copy(text, button) {
  try { await navigator.clipboard.writeText(text); } catch {
    const ta = el('textarea', {}, text); document.body.append(ta); ta.select(); document.execCommand('copy'); ta.remove();
  }
  button.textContent = t('copied');
  setTimeout(() => { button.textContent = t('copy'); }, 1500);
}

// ---------- Start ----------
async function start() {
  applyLang(currentLang());
  const [config, cities] = await Promise.all([api('/viewer/config.json'), api('/api/cities')]);
  state.config = config.json ?? { layers: [] };
  state.cities = Array.isArray(cities.json) ? cities.json : cities.json?.cities ?? [];

  if (state.config.basemap?.url) {
    map.addLayer(new TileLayer({ source: new XYZ({ url: state.config.basemap.url, attributions: state.config.basemap.attribution }), zIndex: 0 }));
  }
  const order = ['built-up', 'population-units', 'hazard-zones', 'open-spaces', 'districts', 'streets', 'settlements', 'properties', 'facilities', 'transit-stops'];
  const defs = [...state.config.layers].sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  await Promise.all(defs.map((d, i) => addTileLayer(d, 10 + i)));
  map.addLayer(new VectorLayer({ source: neighbourSource, style: null, zIndex: 40 }));
  map.addLayer(new VectorLayer({ source: sketchSource, style: sketchStyle, zIndex: 50 }));
  map.addLayer(new VectorLayer({ source: problemSource, style: problemStyle, zIndex: 60, properties: { id: 'problems' } }));
  initCommunity({ api, el, tileLayers: state.tileLayers, city: () => $('city').value, pane: $('pane-layers'), stats, map, showTab });
  renderLayerList();
  renderGis();

  const select = $('city');
  for (const c of state.cities) select.append(el('option', { value: c.slug }, c.name ?? c.slug));
  const wanted = new URLSearchParams(location.search).get('city');
  select.value = state.cities.some((c) => c.slug === wanted) ? wanted
    : state.cities.some((c) => c.slug === 'mazar-e-sharif') ? 'mazar-e-sharif' : state.cities[0]?.slug ?? '';
  const fit = () => {
    const city = state.cities.find((c) => c.slug === select.value);
    if (city?.bbox) view.fit(transformExtent(city.bbox, 'EPSG:4326', 'EPSG:3857'), { padding: [20, 20, 20, 20] });
    renderIndicators();
  };
  select.addEventListener('change', fit);
  const p = new URLSearchParams(location.search);
  if (p.has('lon') && p.has('lat')) { view.setCenter(fromLonLatSafe(+p.get('lon'), +p.get('lat'))); view.setZoom(+(p.get('z') ?? 17)); renderIndicators(); }
  else fit();

  document.querySelectorAll('[role=tab]').forEach((b) => b.addEventListener('click', () => showTab(b.dataset.tab)));
  showTab('layers');
  $('lang-btn').addEventListener('click', () => { applyLang(currentLang() === 'fa' ? 'en' : 'fa'); setAt(Number($('at-slider').value)); renderLayerList(); renderGis(); renderWho(); });
  $('signin-btn').addEventListener('click', openSignIn);
  $('signout-btn').addEventListener('click', () => { state.token = null; state.me = null; sessionStorage.removeItem('um.token'); renderWho(); });
  $('signin-form').addEventListener('submit', async (e) => {
    if (e.submitter?.value !== 'token') return;
    e.preventDefault();
    if (await signIn($('token').value.trim())) $('signin').close();
    else { $('signin-error').textContent = t('badToken'); $('signin-error').hidden = false; }
  });
  $('at-slider').addEventListener('change', (e) => setAt(Number(e.target.value)));
  $('at-now').addEventListener('click', () => { $('at-slider').value = '0'; setAt(0); });
  $('draw-btn').addEventListener('click', startDraw);
  $('modify-btn').addEventListener('click', toggleModify);
  $('clear-btn').addEventListener('click', () => { stopDraw(); sketchSource.clear(); clearProblem(); });
  $('add-right').addEventListener('click', () => addRightRow());
  $('register-form').addEventListener('submit', submitParcel);
  addRightRow();
  document.addEventListener('keydown', (e) => {
    if (!draw) return;
    if (e.key === 'Escape') { draw.abortDrawing(); drawing = false; } else if (e.key === 'Backspace' && document.activeElement === $('map')) draw.removeLastPoint();
    else if (e.key === 'Enter' && document.activeElement === $('map')) draw.finishDrawing();
  });
  setAt(0);
  if (state.token && !(await signIn(state.token))) { state.token = null; sessionStorage.removeItem('um.token'); }
  renderWho();
  window.umViewer.ready = true;
}

function fromLonLatSafe(lon, lat) {
  const x = lon * 20037508.34 / 180;
  const y = Math.log(Math.tan((90 + lat) * Math.PI / 360)) / (Math.PI / 180) * 20037508.34 / 180;
  return [x, y];
}

/** Pixels on the map's canvases that are not transparent (a blank map has none), sampled on a grid. */
window.umViewer.paintedPixels = () => {
  let n = 0;
  for (const canvas of map.getViewport().querySelectorAll('canvas')) {
    if (!canvas.width || !canvas.height) continue;
    const data = canvas.getContext('2d', { willReadFrequently: true }).getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < data.length; i += 4 * 7) if (data[i] > 0) n++;
  }
  return n;
};
/** The colour [r, g, b, a] drawn at a map pixel: the topmost canvas that painted it (transparent: [0, 0, 0, 0]). */
window.umViewer.colourAt = (x, y) => {
  const canvases = [...map.getViewport().querySelectorAll('canvas')].reverse();
  for (const canvas of canvases) {
    if (!canvas.width || !canvas.height) continue;
    const scale = canvas.width / map.getSize()[0];
    const d = canvas.getContext('2d', { willReadFrequently: true }).getImageData(Math.round(x * scale), Math.round(y * scale), 1, 1).data;
    if (d[3] > 0) return [...d];
  }
  return [0, 0, 0, 0];
};
window.umViewer.pixelOf = (lon, lat) => map.getPixelFromCoordinate(fromLonLatSafe(lon, lat));
window.umViewer.lonLatOf = (x, y) => toLonLat(map.getCoordinateFromPixel([x, y]));

start().catch((e) => { window.umViewer.error = String(e); console.error(e); });
