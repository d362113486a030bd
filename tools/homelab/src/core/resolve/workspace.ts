import { posix } from 'node:path';
import { HomelabError } from '../model/errors.ts';
import { helmTimedOut, helmTimeoutMs, resolveHelm, type Helm } from '../helm/helm.ts';
import { resolveKubectl } from '../cluster/kube.ts';
import { errorSummary } from '../exec/invocation.ts';
import { runTool } from '../exec/process.ts';
import { readLayoutFromNxJson, type WorkspaceLayout } from '../workspace/layout.ts';
import { assertValidNamespace } from '../model/namespaces.ts';
import type { Resolution } from './releases.ts';
import { renderAppOfApps } from '../helm/render.ts';
import type { RepoFiles } from '../workspace/repo-files.ts';
import { cachedResolution, type Computed } from './resolution-cache.ts';
import type { Release } from '../model/types.ts';
import { chartNamed } from '../model/lookup.ts';
import { chartProjectNames } from '../workspace/charts.ts';

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

/**
 * The resolver with helm wired in for app-of-apps charts (helm is found only if one exists), behind the resolution
 * cache: unchanged inputs give the stored resolution back without parsing anything.
 */
export function resolveWorkspace(layout: WorkspaceLayout): Promise<Resolution> {
  return cachedResolution(layout, helmIdentity, (files) => resolveFresh(layout, files));
}

/** One real resolution through `files`, noting the app-of-apps releases helm rendered on the way (cache inputs). */
export async function resolveFresh(layout: WorkspaceLayout, files: RepoFiles): Promise<Computed> {
  // The resolver (and its YAML and ApplicationSet machinery) is loaded only when the cache cannot answer.
  const { resolveReleases } = await import('./releases.ts');
  const rendered: Release[] = [];
  const resolution = await resolveReleases(layout, {
    files,
    renderChart: async (_dir, _name, _namespace, _files, release) => {
      rendered.push(release);
      return renderAppOfApps(layout.root, await resolveHelm(), release);
    },
    buildKustomization: (dir) => buildRootKustomization(layout.root, dir),
  });
  return { resolution, rendered };
}

/**
 * `kubectl kustomize <dir>`: what `kubectl apply -k <dir>` in an install script applies, for a cluster whose root is
 * a kustomization building its ApplicationSets.
 */
export async function buildRootKustomization(root: string, dir: string): Promise<string> {
  const timeoutMs = helmTimeoutMs('render');
  const result = await runTool(await resolveKubectl(), ['kustomize', posix.join(root, dir)], { cwd: root, timeoutMs });
  if (result.timedOut) throw helmTimedOut(`kubectl kustomize ${dir}`, timeoutMs);
  if (result.exitCode !== 0)
    throw new HomelabError(`root ${dir}: kubectl kustomize failed: ${errorSummary(result.stderr)}`, `run kubectl kustomize ${dir} to see why`);
  return result.stdout;
}

/** The helm an app-of-apps render used, as the resolution cache records it. */
export async function helmIdentity(): Promise<string> {
  const helm = await resolveHelm();
  return `${helm.bin} ${helm.version}`;
}

/**
 * The one line a command prints for a chart selectReleases gave no release (an ApplicationSet excludes its directory,
 * or `cluster` names an environment the chart is not deployed to): a YAML comment, so printed manifests stay a valid
 * stream.
 */
export function notDeployedLine(ws: Workspace, target: string, nothingTo: 'render' | 'lint' | 'validate', cluster?: string): string {
  if (cluster && ws.resolution.releases.some((r) => r.chart === target)) return `# ${target}: no release in cluster ${cluster}: nothing to ${nothingTo}\n`;
  return `# ${target}: deployed by no Application (an ApplicationSet excludes its directory): nothing to ${nothingTo}\n`;
}

/**
 * Picks releases by what a user types: a chart name (all its releases), a release name, or
 * `<cluster>/<release>`; optionally narrowed to one cluster. A release no cluster would accept is refused here, so
 * every command that renders, lints, installs or diffs it fails the same way.
 */
export function selectReleases(ws: Workspace, target: string, cluster?: string, namespace?: string): Release[] {
  const { releases, charts } = ws.resolution;
  const inCluster = releases.filter((r) => !cluster || r.cluster === cluster);
  const slash = target.indexOf('/');
  const matches =
    slash > 0
      ? inCluster.filter((r) => r.cluster === target.slice(0, slash) && r.name === target.slice(slash + 1))
      : inCluster.filter((r) => r.chart === target).length > 0
        ? inCluster.filter((r) => r.chart === target)
        : inCluster.filter((r) => r.name === target);
  const chart = chartNamed(charts, target);
  const chartDirs = new Set([...matches.map((r) => r.chartDir), ...(chart ? [chart.dir] : [])]);
  // Rendering the releases that did resolve would silently drop the broken Application's: the finding is the answer.
  // A chart whose own Chart.yaml is broken is not a chart of the resolution, but its finding still names it.
  const ownName = (dir: string) => chartProjectNames([dir], ws.layout.projectNames).get(dir);
  const isTarget = (dir: string) => chartDirs.has(dir) || (matches.length === 0 && !chart && ownName(dir) === target);
  const broken = ws.resolution.findings.find((f) => f.chartDirs.some(isTarget));
  if (broken) throw new HomelabError(broken.message, broken.hint);
  if (matches.length > 0) {
    matches.forEach(assertValidNamespace);
    return namespace === undefined ? matches : inNamespace(matches, target, namespace);
  }
  if (chart?.type === 'library') {
    throw new HomelabError(`${target} is a library chart and has no releases`, 'template a chart that depends on it instead');
  }
  // A chart no Application deploys (an ApplicationSet excludes its directory, e.g. apps/*.disabled): nothing to do.
  if (chart && !releases.some((r) => r.chartDir === chart.dir)) return [];
  // A project of another environment only (`nx run-many -t template -c lab` reaches every project): nothing there.
  if (cluster && releases.some((r) => r.cluster === cluster) && releases.some((r) => r.chart === target)) return [];
  // Parked charts (no release) are known too: selecting one is not an error.
  const known = [...new Set([...releases.map((r) => r.chart), ...charts.filter((c) => c.type !== 'library').map((c) => c.name)])].sort().join(', ');
  throw new HomelabError(`unknown chart or release "${target}"${cluster ? ` in cluster ${cluster}` : ''}`, `known charts: ${known || 'none'}`);
}

/**
 * `-n <namespace>` as kubectl and helm users type it: the Application's destination decides the namespace, so the
 * flag only narrows the selection to the releases already deploying there; any other namespace is refused.
 */
function inNamespace(matches: Release[], target: string, namespace: string): Release[] {
  const selected = matches.filter((r) => r.namespace === namespace);
  if (selected.length > 0) return selected;
  const resolved = [...new Set(matches.map((r) => r.namespace))].join(', ');
  throw new HomelabError(
    `-n ${namespace}: the namespace comes from the Application, and ${target} deploys to namespace ${resolved}`,
    'drop -n, or change destination.namespace in the Application',
  );
}
