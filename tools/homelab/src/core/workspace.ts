import { HomelabError } from './errors.ts';
import { resolveHelm, type Helm } from './helm.ts';
import { readLayoutFromNxJson, type WorkspaceLayout } from './layout.ts';
import { resolveReleases, type Resolution } from './releases.ts';
import { renderAppOfApps } from './render.ts';
import type { Release } from './types.ts';

/** What every command starts from: the layout, the resolved releases (the one truth) and helm. */
export interface Workspace {
  root: string;
  layout: WorkspaceLayout;
  resolution: Resolution;
  helm: Helm;
  /** Non-fatal notes for the user (e.g. a broken nx.json), printed once by the shell. */
  warnings: string[];
}

export async function openWorkspace(root: string, layout?: WorkspaceLayout): Promise<Workspace> {
  const warnings: string[] = [];
  if (!layout) {
    const fromNx = await readLayoutFromNxJson(root);
    layout = fromNx.layout;
    if (fromNx.warning) warnings.push(fromNx.warning);
  }
  const [helm, resolution] = await Promise.all([resolveHelm(), resolveWorkspace(layout)]);
  warnings.push(...resolution.warnings);
  return { root: layout.root, layout, resolution, helm, warnings };
}

/** The resolver with helm wired in for app-of-apps charts (helm is found only if one exists). */
export function resolveWorkspace(layout: WorkspaceLayout): Promise<Resolution> {
  return resolveReleases(layout, {
    renderChart: async (_dir, _name, _namespace, _files, release) => renderAppOfApps(layout.root, await resolveHelm(), release),
  });
}

/**
 * Picks releases by what a user types: a chart name (all its releases), a release name, or
 * `<cluster>/<release>`; optionally narrowed to one cluster.
 */
export function selectReleases(ws: Workspace, target: string, cluster?: string): Release[] {
  const { releases, charts } = ws.resolution;
  const inCluster = releases.filter((r) => !cluster || r.cluster === cluster);
  const slash = target.indexOf('/');
  const matches =
    slash > 0
      ? inCluster.filter((r) => r.cluster === target.slice(0, slash) && r.name === target.slice(slash + 1))
      : inCluster.filter((r) => r.chart === target).length > 0
        ? inCluster.filter((r) => r.chart === target)
        : inCluster.filter((r) => r.name === target);
  if (matches.length > 0) return matches;
  const chart = charts.find((c) => c.name === target);
  if (chart?.type === 'library') {
    throw new HomelabError(`${target} is a library chart and has no releases`, 'template a chart that depends on it instead');
  }
  const known = [...new Set(releases.map((r) => r.chart))].sort().join(', ');
  throw new HomelabError(
    `unknown chart or release "${target}"${cluster ? ` in cluster ${cluster}` : ''}`,
    `known charts: ${known || 'none'}`,
  );
}
