// Styles and legends of the service's layers: one place so the map and the legend agree.
import { Circle, Fill, Stroke, Style } from 'ol/style.js';

const poly = (fill, stroke, width = 1) => new Style({ fill: new Fill({ color: fill }), stroke: new Stroke({ color: stroke, width }) });
const line = (stroke, width = 1) => new Style({ stroke: new Stroke({ color: stroke, width }) });
const dot = (fill, radius = 4) => new Style({ image: new Circle({ radius, fill: new Fill({ color: fill }), stroke: new Stroke({ color: '#fff', width: 1 }) }) });

const statusColours = { surveyed: '#e6b422', verified: '#2e86c1', registered: '#229954', retired: '#999999' };
const statusStyles = Object.fromEntries(Object.entries(statusColours).map(([k, c]) => [k, poly(c + '66', c, 1)]));
// Community upgrading: a council is outlined green when its composition is complete, red dashed when it breaks the rule;
// a project (point, line or polygon) is coloured by its status.
const councilOk = new Style({ fill: new Fill({ color: 'rgba(39,174,96,0.10)' }), stroke: new Stroke({ color: '#1e8449', width: 2 }) });
const councilBad = new Style({ fill: new Fill({ color: 'rgba(192,57,43,0.10)' }), stroke: new Stroke({ color: '#c0392b', width: 2, lineDash: [6, 4] }) });
const projectColours = { planned: '#aab7b8', contracted: '#f39c12', 'in-progress': '#2e86c1', completed: '#229954', maintained: '#145a32' };
const projectStyles = Object.fromEntries(Object.entries(projectColours).map(([k, c]) => [k, new Style({
  fill: new Fill({ color: c + '88' }), stroke: new Stroke({ color: c, width: 3 }),
  image: new Circle({ radius: 6, fill: new Fill({ color: c }), stroke: new Stroke({ color: '#fff', width: 1.5 }) }) })]));
const stopStyles = { high: dot('#6c3483', 6), low: dot('#af7ac5', 4) };

/** Per layer: an OpenLayers style function and legend entries ([label, colour]). */
export const layerStyles = {
  properties: { style: (f) => statusStyles[f.get('status')] ?? statusStyles.surveyed, legend: Object.entries(statusColours) },
  settlements: { style: poly('rgba(211,84,0,0.18)', '#d35400', 2), legend: [['settlement', '#d35400']] },
  districts: { style: poly('rgba(0,0,0,0.01)', '#34495e', 1.5), legend: [['district', '#34495e']] },
  'transit-stops': { style: (f) => stopStyles[f.get('capacity')] ?? stopStyles.low, legend: [['high capacity', '#6c3483'], ['low capacity', '#af7ac5']] },
  streets: { style: line('#909497', 1.5), legend: [['street', '#909497']] },
  'open-spaces': { style: poly('rgba(39,174,96,0.35)', '#1e8449'), legend: [['open space', '#1e8449']] },
  'built-up': { style: poly('rgba(120,120,120,0.25)', '#707b7c', 0.5), legend: [['built-up', '#707b7c']] },
  'population-units': { style: poly('rgba(0,0,0,0)', '#5d6d7e', 0.8), legend: [['unit', '#5d6d7e']] },
  'hazard-zones': { style: poly('rgba(192,57,43,0.25)', '#c0392b'), legend: [['hazard', '#c0392b']] },
  facilities: { style: dot('#1f618d', 5), legend: [['facility', '#1f618d']] },
  councils: { style: (f) => (f.get('composition') === 'ok' ? councilOk : councilBad), legend: [['composition ok', '#1e8449'], ['no woman or no displaced member', '#c0392b']] },
  projects: { style: (f) => projectStyles[f.get('status')] ?? projectStyles.planned, legend: Object.entries(projectColours) },
};

export const fallbackStyle = { style: poly('rgba(52,73,94,0.15)', '#34495e'), legend: [['feature', '#34495e']] };

export const problemStyle = [
  new Style({ fill: new Fill({ color: 'rgba(231,76,60,0.45)' }), stroke: new Stroke({ color: '#c0392b', width: 3 }),
    image: new Circle({ radius: 9, fill: new Fill({ color: 'rgba(231,76,60,0.6)' }), stroke: new Stroke({ color: '#7b241c', width: 2 }) }) }),
];
export const sketchStyle = poly('rgba(255,255,255,0.35)', '#d4ac0d', 3);
