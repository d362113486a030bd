import { chartAt, clusterHolding } from '../model/lookup.ts';
import type { Release } from '../model/types.ts';
import type { Resolution } from '../resolve/releases.ts';
import { tierOf } from './select.ts';

/**
 * The repository as a picture: clusters → sync waves → releases → what each release is made of (its chart, the library
 * charts that chart builds on, its value files), plus the broken Applications. One graph, two drawings: Mermaid text
 * (`graphMermaid`) and a self-contained HTML page with the SVG laid out here (graph-html.ts).
 */
export type NodeKind = 'cluster' | 'wave' | 'release' | 'chart' | 'library' | 'values' | 'secret-values' | 'broken';

export interface GraphNode {
  /** Unique, stable: `<kind>:<what>` (e.g. `release:home/monitoring`, `chart:charts/monitoring`). */
  id: string;
  kind: NodeKind;
  label: string;
  /** Said on hover. */
  detail: string;
}

export interface Graph {
  nodes: GraphNode[];
  edges: { from: string; to: string }[];
}

/** The column a kind is drawn in, left to right. */
export const COLUMN: Record<NodeKind, number> = { cluster: 0, wave: 1, broken: 1, release: 2, chart: 3, library: 4, values: 4, 'secret-values': 4 };

export function buildGraph(resolution: Resolution, cluster?: string): Graph {
  const nodes = new Map<string, GraphNode>();
  const edges = new Map<string, { from: string; to: string }>();
  const node = (n: GraphNode) => {
    if (!nodes.has(n.id)) nodes.set(n.id, n);
    return n.id;
  };
  const edge = (from: string, to: string) => edges.set(`${from}\n${to}`, { from, to });
  const releases = resolution.releases
    .filter((r) => cluster === undefined || r.cluster === cluster)
    .sort((a, b) => a.cluster.localeCompare(b.cluster) || a.wave - b.wave || a.name.localeCompare(b.name));
  for (const c of resolution.clusters.filter((c) => cluster === undefined || c.name === cluster)) {
    node({ id: `cluster:${c.name}`, kind: 'cluster', label: c.name, detail: `${c.dir} (kube-context ${c.kubeContext || 'none declared'})` });
  }
  for (const release of releases) {
    const clusterId = `cluster:${release.cluster}`;
    const wave = node({
      id: `wave:${release.cluster}:${release.wave}`,
      kind: 'wave',
      label: `wave ${release.wave}`,
      detail: `sync wave ${release.wave} of ${release.cluster} (${tierOf(release)})`,
    });
    edge(clusterId, wave);
    const id = node({
      id: `release:${release.cluster}/${release.name}`,
      kind: 'release',
      label: release.name,
      detail: `${release.cluster}/${release.name} in namespace ${release.namespace}${release.application ? `, Application ${release.application}` : ', no Application (convention)'}`,
    });
    edge(wave, id);
    const made = node(sourceNode(resolution, release));
    edge(id, made);
    for (const dir of dependencyDirs(resolution, release)) {
      const dep = chartAt(resolution.charts, dir);
      if (!dep) continue;
      edge(
        made,
        node({
          id: `chart:${dep.dir}`,
          kind: dep.type === 'library' ? 'library' : 'chart',
          label: dep.dir,
          detail: `${dep.type} chart ${dep.name} ${dep.version}`,
        }),
      );
    }
    for (const file of release.valueFiles) {
      const where = file.inChart ? `${made.slice('chart:'.length)}: ${file.path}` : file.path;
      edge(
        id,
        node({
          id: `values:${where}`,
          kind: file.secret ? 'secret-values' : 'values',
          label: where,
          detail: file.secret ? `SOPS-encrypted value file (${file.raw})` : `value file (${file.raw})`,
        }),
      );
    }
  }
  for (const finding of resolution.findings) {
    const owner = clusterHolding(resolution.clusters, finding.file);
    if (!owner || (cluster !== undefined && owner.name !== cluster)) continue;
    const id = node({ id: `broken:${finding.file}`, kind: 'broken', label: `BROKEN ${finding.file}`, detail: `${finding.message} — ${finding.hint}` });
    edge(`cluster:${owner.name}`, id);
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}

function sourceNode(resolution: Resolution, release: Release): GraphNode {
  const { source } = release;
  if (!source) {
    const chart = chartAt(resolution.charts, release.chartDir);
    return {
      id: `chart:${release.chartDir}`,
      kind: 'chart',
      label: release.chartDir,
      detail: `chart ${chart?.name ?? release.chart} ${chart?.version ?? ''}`.trim(),
    };
  }
  if (source.kind === 'upstream') {
    const ref = source.chart ? `${source.repoURL.replace(/\/+$/, '')}/${source.chart}` : source.repoURL;
    return { id: `chart:${ref}`, kind: 'chart', label: `${ref} ${source.targetRevision}`, detail: `upstream chart ${ref}, version ${source.targetRevision}` };
  }
  return { id: `chart:${source.path}`, kind: 'chart', label: source.path, detail: `${source.kind} source ${source.path}` };
}

/** What a release's chart builds on: a local chart's `file://` dependencies, the charts a kustomization reads. */
function dependencyDirs(resolution: Resolution, release: Release): string[] {
  if (release.source?.kind === 'kustomize') return release.source.reads;
  if (release.source) return [];
  return chartAt(resolution.charts, release.chartDir)?.localDependencies.map((d) => d.dir) ?? [];
}

/** Mermaid flowchart text: `flowchart LR`, one node per line with its label, classes per kind. */
export function graphMermaid(graph: Graph): string {
  const ids = new Map(graph.nodes.map((n, i) => [n.id, `n${i}`]));
  const quote = (text: string) => `"${text.replace(/"/g, '#quot;')}"`;
  const lines = ['flowchart LR'];
  for (const n of graph.nodes) lines.push(`  ${ids.get(n.id)}${shape(n.kind, quote(n.label))}:::${className(n.kind)}`);
  for (const e of graph.edges) lines.push(`  ${ids.get(e.from)} --> ${ids.get(e.to)}`);
  for (const [kind, style] of Object.entries(STYLE)) lines.push(`  classDef ${className(kind)} fill:${style.fill},stroke:${style.stroke}`);
  return `${lines.join('\n')}\n`;
}

/** Mermaid class names are words: `secret-values` becomes `secretValues`. */
function className(kind: string): string {
  return kind.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
}

function shape(kind: NodeKind, label: string): string {
  if (kind === 'cluster') return `[[${label}]]`;
  if (kind === 'wave') return `([${label}])`;
  if (kind === 'values' || kind === 'secret-values') return `[/${label}/]`;
  if (kind === 'broken') return `{{${label}}}`;
  return `[${label}]`;
}

/** One colour pair per kind, shared by both drawings. */
export const STYLE: Record<NodeKind, { fill: string; stroke: string }> = {
  cluster: { fill: '#dbeafe', stroke: '#1d4ed8' },
  wave: { fill: '#ede9fe', stroke: '#6d28d9' },
  release: { fill: '#dcfce7', stroke: '#15803d' },
  chart: { fill: '#fef9c3', stroke: '#a16207' },
  library: { fill: '#ffedd5', stroke: '#c2410c' },
  values: { fill: '#f1f5f9', stroke: '#475569' },
  'secret-values': { fill: '#fce7f3', stroke: '#be185d' },
  broken: { fill: '#fee2e2', stroke: '#b91c1c' },
};
