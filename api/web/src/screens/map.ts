/**
 * The communication map (Cytoscape.js): devices as nodes coloured by category or risk, edges by
 * protocol and port with their volume, optionally only medical devices and their peers, grouped by VLAN
 * or subnet; a click opens the device page. One request: GET /api/v1/graph.
 */
// Types only: the library itself (most of the page's code) is loaded when the map is first shown, so
// the other screens do not wait for it (bench:web).
import type cytoscape from 'cytoscape';
import { get } from '../api.js';
import { h, render } from '../dom.js';
import { bytes, categoryColour, count, riskColour } from '../format.js';
import { go } from '../router.js';
import { failed, loading } from './common.js';

interface GraphNode { id: number; label: string; category: string; medical: boolean; vlan: number | null; subnet: string | null; packets: number; bytes: number; matched: boolean; risk?: { level: string } | null }
interface GraphEdge { source: number; target: number; protocol: string; transport: string; port: number; packets: number; bytes: number; tls: boolean }
interface Graph { nodes: GraphNode[]; edges: GraphEdge[]; total_nodes: number; truncated: boolean }

export function mapScreen(main: HTMLElement, params: URLSearchParams): () => void {
  document.title = 'Map · auscult';
  const medicalOnly = params.get('medical') === 'true';
  const colour = params.get('colour') === 'risk' ? 'risk' : 'category';
  const group = ['vlan', 'subnet'].includes(params.get('group') ?? '') ? (params.get('group') as 'vlan' | 'subnet') : '';
  const status = h('p', { className: 'status', role: 'status', 'data-testid': 'map-status' });
  const canvas = h('div', { id: 'map', className: 'map', role: 'img', 'aria-label': 'Communication map: devices and who talks to whom' });
  const choose = (name: string, label: string, options: [string, string][], value: string) => h('div', { className: 'field' },
    h('label', { for: `m-${name}` }, label),
    h('select', { id: `m-${name}`, name, onchange: (ev: Event) => go('map', { ...Object.fromEntries(params), [name]: (ev.target as HTMLSelectElement).value }) },
      options.map(([v, t]) => h('option', { value: v, selected: v === value }, t))));
  render(main,
    h('h1', null, 'Communication map'),
    h('form', { className: 'filters', 'aria-label': 'Map options' },
      choose('medical', 'Devices', [['', 'all'], ['true', 'medical devices and their peers']], medicalOnly ? 'true' : ''),
      choose('colour', 'Colour by', [['category', 'category'], ['risk', 'risk']], colour),
      choose('group', 'Group by', [['', 'nothing'], ['vlan', 'VLAN'], ['subnet', 'subnet']], group)),
    status, canvas,
    h('p', { className: 'help' }, 'Click a device to open its page. Scroll to zoom, drag to pan. The same data as a table: the Inventory screen.'));
  loading(status, 'the map');

  let cy: cytoscape.Core | null = null;
  Promise.all([get<Graph>('/api/v1/graph', medicalOnly ? { medical: true, peers: true } : {}), import('cytoscape')]).then(([g, { default: cytoscape }]) => {
    const groups = new Map<string, string>();
    const groupOf = (n: GraphNode): string | null => {
      const key = group === 'vlan' ? (n.vlan === null ? 'untagged' : `VLAN ${n.vlan}`) : group === 'subnet' ? n.subnet ?? 'no address' : null;
      if (key === null) return null;
      if (!groups.has(key)) groups.set(key, `g${groups.size}`);
      return groups.get(key) as string;
    };
    const elements: cytoscape.ElementDefinition[] = [];
    for (const n of g.nodes) {
      const parent = groupOf(n);
      elements.push({
        data: {
          id: `d${n.id}`, device: n.id, label: n.label, ...(parent ? { parent } : {}),
          colour: colour === 'risk' ? riskColour(n.risk?.level) : categoryColour(n.category, n.medical),
          size: 14 + Math.min(30, Math.log10(1 + n.bytes) * 4),
        },
        classes: n.matched ? 'device' : 'device peer',
      });
    }
    for (const [name, id] of groups) elements.push({ data: { id, label: name }, classes: 'group' });
    g.edges.forEach((e, i) => elements.push({
      data: { id: `e${i}`, source: `d${e.source}`, target: `d${e.target}`, label: `${e.protocol} ${bytes(e.bytes)}`, width: 1 + Math.min(8, Math.log10(1 + e.bytes)) },
      classes: e.tls ? 'tls' : '',
    }));
    const big = g.nodes.length > 300;
    cy = cytoscape({
      container: canvas,
      elements,
      wheelSensitivity: 0.3,
      minZoom: 0.05,
      maxZoom: 4,
      textureOnViewport: big,
      hideEdgesOnViewport: big,
      style: [
        { selector: 'node.device', style: { 'background-color': 'data(colour)', label: 'data(label)', width: 'data(size)', height: 'data(size)', 'font-size': 9, 'min-zoomed-font-size': 7, 'text-valign': 'bottom', 'text-margin-y': 2 } },
        { selector: 'node.peer', style: { opacity: 0.7, 'border-width': 1, 'border-color': '#555', 'border-style': 'dashed' } },
        { selector: 'node.group', style: { label: 'data(label)', 'text-valign': 'top', 'background-color': '#eef2f7', 'border-color': '#aab4c3', 'border-width': 1, 'font-size': 11 } },
        { selector: 'edge', style: { width: 'data(width)', 'line-color': '#9fb3c8', 'target-arrow-shape': 'triangle', 'target-arrow-color': '#9fb3c8', 'curve-style': big ? 'haystack' : 'bezier', label: big ? '' : 'data(label)', 'font-size': 7, 'min-zoomed-font-size': 8, color: '#345' } },
        { selector: 'edge.tls', style: { 'line-style': 'dashed' } },
        { selector: ':selected', style: { 'border-width': 3, 'border-color': '#111' } },
      ],
      layout: big ? { name: group ? 'grid' : 'concentric', animate: false } as cytoscape.LayoutOptions : { name: 'cose', animate: false, randomize: false, nodeRepulsion: () => 8000 } as cytoscape.LayoutOptions,
    });
    cy.on('tap', 'node.device', (ev) => go(`device/${ev.target.data('device') as number}`));
    canvas.dataset.nodes = String(g.nodes.length);
    canvas.dataset.edges = String(g.edges.length);
    status.textContent = `${count(g.nodes.length)} devices, ${count(g.edges.length)} connections${g.truncated ? ` (the ${count(g.nodes.length)} most active of ${count(g.total_nodes)})` : ''}.`;
  }, (err) => failed(status, 'Map', err));
  return () => cy?.destroy();
}
