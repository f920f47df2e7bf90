// Small SVG charts (no chart library): a line chart for time series. Bar charts stay in main.js.
const NS = 'http://www.w3.org/2000/svg';

const svgEl = (tag, attrs = {}, text) => {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
};

const fmt = (v) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en') : String(Math.round(v * 100) / 100));

/**
 * A line chart of points [{x, y, label?}] (x: a year; y: a number, or null where the series has no value, drawn as a
 * gap and listed in the title). Axis ends are labelled with the first and last years and the lowest and highest values.
 */
export function lineChart(points, { unit = '', label = '' } = {}) {
  const w = 300, h = 130, left = 44, right = 10, top = 10, bottom = 24;
  const svg = svgEl('svg', { viewBox: `0 0 ${w} ${h}`, class: 'chart line-chart', role: 'img' });
  const known = points.filter((p) => typeof p.y === 'number' && Number.isFinite(p.y));
  svg.setAttribute('aria-label', `${label}: ${points.map((p) => `${p.label ?? p.x}: ${p.y ?? '—'}${p.y == null ? '' : unit}`).join(', ')}`);
  if (!known.length) {
    svg.append(svgEl('text', { x: 8, y: h / 2, 'font-size': 12 }, '—'));
    return svg;
  }
  const xs = points.map((p) => p.x);
  const x0 = Math.min(...xs), x1 = Math.max(...xs);
  let y0 = Math.min(0, ...known.map((p) => p.y)), y1 = Math.max(...known.map((p) => p.y));
  if (y1 === y0) y1 = y0 + 1;
  const px = (x) => (x1 === x0 ? left + (w - left - right) / 2 : left + (x - x0) / (x1 - x0) * (w - left - right));
  const py = (y) => top + (1 - (y - y0) / (y1 - y0)) * (h - top - bottom);
  svg.append(
    svgEl('line', { x1: left, y1: top, x2: left, y2: h - bottom, stroke: '#aab7b8' }),
    svgEl('line', { x1: left, y1: h - bottom, x2: w - right, y2: h - bottom, stroke: '#aab7b8' }),
    svgEl('text', { x: left - 4, y: top + 9, 'font-size': 10, 'text-anchor': 'end' }, fmt(y1)),
    svgEl('text', { x: left - 4, y: h - bottom, 'font-size': 10, 'text-anchor': 'end' }, fmt(y0)),
    svgEl('text', x0 === x1 ? { x: px(x0), y: h - 6, 'font-size': 10, 'text-anchor': 'middle' } : { x: left, y: h - 6, 'font-size': 10 }, String(x0)));
  if (x1 !== x0) svg.append(svgEl('text', { x: w - right, y: h - 6, 'font-size': 10, 'text-anchor': 'end' }, String(x1)));
  // Consecutive known points are joined; a missing value breaks the line.
  let run = [];
  const flush = () => {
    if (run.length > 1) svg.append(svgEl('polyline', { points: run.map(([a, b]) => `${a},${b}`).join(' '), fill: 'none', stroke: '#2e86c1', 'stroke-width': 2 }));
    run = [];
  };
  for (const p of points) {
    if (typeof p.y !== 'number') { flush(); continue; }
    run.push([px(p.x), py(p.y)]);
  }
  flush();
  for (const p of known) {
    const dot = svgEl('circle', { cx: px(p.x), cy: py(p.y), r: 3.5, fill: '#1b4f72', class: 'point' });
    dot.append(svgEl('title', {}, `${p.label ?? p.x}: ${fmt(p.y)}${unit}`));
    svg.append(dot);
  }
  return svg;
}
