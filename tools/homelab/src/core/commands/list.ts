import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { chartAt, clusterHolding } from '../model/lookup.ts';
import { renderFile } from '../model/release.ts';
import type { Release } from '../model/types.ts';
import type { ResolutionFinding } from '../resolve/releases.ts';
import type { Workspace } from '../resolve/workspace.ts';
import { openTargets, type ClusterRequest, type Write } from './cluster.ts';
import { commandOptions } from './options.ts';
import { tierOf } from './select.ts';
import { liveStatuses, type ReleaseStatus } from './status.ts';

/** One release as `list` shows it; fixed keys (its `-o json` records). */
export interface ListRow {
  cluster: string;
  release: string;
  /** null: no Application deploys it (the convention). */
  application: string | null;
  wave: number;
  tier: string;
  namespace: string;
  /** chart: a chart directory of this repository; upstream: a Helm repository or OCI chart; directory, kustomize: a path. */
  source: 'chart' | 'upstream' | 'directory' | 'kustomize';
  /** The chart directory, `<repoURL>/<chart>` (the OCI reference itself), or the manifests' path. */
  chart: string;
  /** Chart.yaml version, or the Application's targetRevision; null when neither says one. */
  version: string | null;
  /** sha256 (12 hex digits) of the release's file in the render output directory; null when there is none. */
  render: string | null;
  /** With --live only. */
  helm?: string | null;
  argocd?: { sync: string; health: string; paused: boolean } | string | null;
}

/** A broken Application (or file) of the resolution: the row it would have had, with why it has none. */
export interface FindingRow {
  cluster: string | null;
  file: string;
  charts: string[];
  finding: string;
  hint: string;
}

export interface ListRequest extends Omit<ClusterRequest, 'target' | 'dryRun'> {
  /** Ask each cluster (its declared context, guarded): Helm status and ArgoCD sync/health. */
  live?: boolean;
}

/**
 * Every release, in the order ArgoCD syncs them per cluster, and every finding of the resolution; offline unless
 * `live`. The render column never renders: it hashes what `render` (or `template --output-dir dist/rendered`) last
 * wrote, which is masked or keyless, so equal hashes mean equal renders without holding any secret.
 */
export async function listReleases(ws: Workspace, request: ListRequest, write: Write): Promise<{ rows: ListRow[]; findings: FindingRow[] }> {
  const releases = ws.resolution.releases
    .filter((r) => request.cluster === undefined || r.cluster === request.cluster)
    .sort((a, b) => a.cluster.localeCompare(b.cluster) || a.wave - b.wave || a.name.localeCompare(b.name));
  const rows = await Promise.all(releases.map((release) => listRow(ws, release)));
  if (request.live && releases.length > 0) {
    const statuses = await liveStatuses(ws, releases, await openTargets(ws, releases, { ...request, target: '' }, write));
    statuses.forEach((s, i) => Object.assign(rows[i], liveColumns(s)));
  }
  const findings = ws.resolution.findings.map((f) => findingRow(ws, f)).filter((f) => request.cluster === undefined || f.cluster === request.cluster);
  return { rows, findings };
}

async function listRow(ws: Workspace, release: Release): Promise<ListRow> {
  const { source } = release;
  const local = source ? undefined : chartAt(ws.resolution.charts, release.chartDir);
  return {
    cluster: release.cluster,
    release: release.name,
    application: release.application || null,
    wave: release.wave,
    tier: tierOf(release),
    namespace: release.namespace,
    source: source?.kind ?? 'chart',
    chart: !source
      ? release.chartDir
      : source.kind === 'upstream'
        ? source.chart
          ? `${source.repoURL.replace(/\/+$/, '')}/${source.chart}`
          : source.repoURL
        : source.path,
    version: (source && 'targetRevision' in source ? source.targetRevision : local?.version) || null,
    render: await renderHash(ws, release),
  };
}

async function renderHash(ws: Workspace, release: Release): Promise<string | null> {
  const file = path.resolve(ws.root, commandOptions.render.outputDir.default, renderFile(release, ws.resolution.releases));
  try {
    return createHash('sha256')
      .update(await readFile(file))
      .digest('hex')
      .slice(0, 12);
  } catch {
    return null;
  }
}

function liveColumns(s: ReleaseStatus): Pick<ListRow, 'helm' | 'argocd'> {
  const helm = s.helm ? `${s.helm.status} (rev ${s.helm.revision})` : null;
  if (!s.release.application) return { helm, argocd: null };
  if (s.application === undefined) return { helm, argocd: 'ArgoCD not installed' };
  if (s.application === null) return { helm, argocd: 'not in the cluster' };
  return { helm, argocd: { sync: s.application.sync, health: s.application.health, paused: s.application.paused } };
}

function findingRow(ws: Workspace, finding: ResolutionFinding): FindingRow {
  const cluster = clusterHolding(ws.resolution.clusters, finding.file);
  return { cluster: cluster?.name ?? null, file: finding.file, charts: finding.chartDirs, finding: finding.message, hint: finding.hint };
}

/** The human table: one line per release, then one per finding, columns aligned. */
export function formatList({ rows, findings }: { rows: ListRow[]; findings: FindingRow[] }, live: boolean): string {
  const header = ['CLUSTER', 'WAVE', 'TIER', 'NAMESPACE', 'RELEASE', 'SOURCE', 'CHART', 'VERSION', 'RENDER', ...(live ? ['HELM', 'ARGOCD'] : [])];
  const lines = rows.map((r) => [
    r.cluster,
    String(r.wave),
    r.tier,
    r.namespace,
    r.release,
    r.source,
    r.chart,
    r.version ?? '-',
    r.render ?? '-',
    ...(live ? [r.helm ?? '-', formatArgocd(r.argocd)] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells: string[]) => `${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ')}\n`;
  return [format(header), ...lines.map(format), ...findings.map((f) => `${f.cluster ?? '-'}  BROKEN  ${f.finding}\n`)].join('');
}

function formatArgocd(argocd: ListRow['argocd']): string {
  if (!argocd) return '-';
  if (typeof argocd === 'string') return argocd;
  return `${argocd.sync}/${argocd.health}${argocd.paused ? ' (sync paused)' : ''}`;
}
