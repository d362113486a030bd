import { COLUMN, STYLE, type Graph, type GraphNode, type NodeKind } from './graph.ts';

/**
 * The graph as one HTML file a browser opens with no network: the SVG is laid out here (columns by kind, each node
 * placed in the order of its first parent so edges mostly run straight), no script, no external font or stylesheet.
 */
const CHAR_WIDTH = 7.2;
const NODE_HEIGHT = 26;
const ROW_GAP = 10;
const COLUMN_GAP = 70;
const MARGIN = 20;

interface Placed extends GraphNode {
  x: number;
  y: number;
  width: number;
}

export function graphHtml(graph: Graph, title: string): string {
  const placed = layout(graph);
  const byId = new Map(placed.map((n) => [n.id, n]));
  const width = Math.max(...placed.map((n) => n.x + n.width), 0) + MARGIN;
  const height = Math.max(...placed.map((n) => n.y + NODE_HEIGHT), 0) + MARGIN;
  const edges = graph.edges.map((e) => {
    const [a, b] = [byId.get(e.from)!, byId.get(e.to)!];
    const [x1, y1, x2, y2] = [a.x + a.width, a.y + NODE_HEIGHT / 2, b.x, b.y + NODE_HEIGHT / 2];
    const bend = (x2 - x1) / 2;
    return `<path class="edge" data-from="${escape(e.from)}" data-to="${escape(e.to)}" d="M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}"/>`;
  });
  const nodes = placed.map((n) => {
    const { fill, stroke } = STYLE[n.kind];
    return [
      `<g class="node ${n.kind}" id="${escape(n.id)}" data-kind="${n.kind}" transform="translate(${n.x},${n.y})">`,
      `<title>${escape(n.detail)}</title>`,
      `<rect width="${n.width}" height="${NODE_HEIGHT}" rx="${n.kind === 'wave' ? NODE_HEIGHT / 2 : 4}" fill="${fill}" stroke="${stroke}"/>`,
      `<text x="${n.width / 2}" y="${NODE_HEIGHT / 2 + 4}">${escape(n.label)}</text>`,
      '</g>',
    ].join('');
  });
  const legend = (Object.keys(STYLE) as NodeKind[])
    .map((kind) => `<span class="key" style="background:${STYLE[kind].fill};border-color:${STYLE[kind].stroke}">${kind}</span>`)
    .join(' ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escape(title)}</title>
<style>
body { font: 13px system-ui, sans-serif; margin: 16px; color: #0f172a; }
.key { display: inline-block; border: 1px solid; border-radius: 4px; padding: 1px 6px; margin-right: 4px; }
svg text { font: 12px ui-monospace, monospace; text-anchor: middle; fill: #0f172a; }
.edge { fill: none; stroke: #94a3b8; stroke-width: 1.2; }
.node:hover rect { stroke-width: 2.5; }
</style>
</head>
<body>
<h1>${escape(title)}</h1>
<p>clusters → sync waves → releases → charts → library charts and value files. Hover a box for details. ${legend}</p>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
${edges.join('\n')}
${nodes.join('\n')}
</svg>
</body>
</html>
`;
}

/** Columns by kind; within a column, nodes in the order of their first parent's row, then as the graph lists them. */
function layout(graph: Graph): Placed[] {
  const parents = new Map<string, string[]>();
  for (const e of graph.edges) parents.set(e.to, [...(parents.get(e.to) ?? []), e.from]);
  const row = new Map<string, number>();
  const columns = new Map<number, GraphNode[]>();
  for (const n of graph.nodes) columns.set(COLUMN[n.kind], [...(columns.get(COLUMN[n.kind]) ?? []), n]);
  const placed: Placed[] = [];
  let x = MARGIN;
  for (const column of [...columns.keys()].sort((a, b) => a - b)) {
    const order = (n: GraphNode) => Math.min(...(parents.get(n.id) ?? []).map((p) => row.get(p) ?? Number.POSITIVE_INFINITY), Number.POSITIVE_INFINITY);
    const nodes = [...columns.get(column)!].map((n, index) => ({ n, index })).sort((a, b) => order(a.n) - order(b.n) || a.index - b.index);
    const width = Math.max(...nodes.map(({ n }) => n.label.length * CHAR_WIDTH + 16));
    nodes.forEach(({ n }, i) => {
      row.set(n.id, i);
      placed.push({ ...n, x, y: MARGIN + i * (NODE_HEIGHT + ROW_GAP), width });
    });
    x += width + COLUMN_GAP;
  }
  return placed;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
