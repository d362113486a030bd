import { posix } from 'node:path';
import { HomelabError } from './errors.ts';
import type { Chart, ClusterDeclaration, Release } from './types.ts';

/** The chart a user or a manifest names; undefined when there is none (callers say what that means for them). */
export function chartNamed(charts: readonly Chart[], name: string): Chart | undefined {
  return charts.find((c) => c.name === name);
}

/** The chart in a workspace-relative directory. */
export function chartAt(charts: readonly Chart[], dir: string): Chart | undefined {
  return charts.find((c) => c.dir === dir);
}

export function clusterNamed(clusters: readonly ClusterDeclaration[], name: string): ClusterDeclaration | undefined {
  return clusters.find((c) => c.name === name);
}

/** The cluster whose directory holds a workspace-relative file (where a broken manifest belongs). */
export function clusterHolding(clusters: readonly ClusterDeclaration[], file: string): ClusterDeclaration | undefined {
  return clusters.find((c) => file.startsWith(`${c.dir}/`));
}

/** A release's own chart: the resolver only makes releases of charts it found, so absence is an error. */
export function requireChartAt(charts: readonly Chart[], dir: string): Chart {
  const chart = chartAt(charts, dir);
  if (!chart) throw new HomelabError(`no chart at ${dir}`, 'check the Application source path');
  return chart;
}

/** A release's own cluster: every release belongs to a cluster directory, so absence is an error. */
export function requireCluster(clusters: readonly ClusterDeclaration[], name: string): ClusterDeclaration {
  const cluster = clusterNamed(clusters, name);
  if (!cluster) throw new HomelabError(`no cluster directory named ${name}`, 'releases belong to clusters/<name>/ directories');
  return cluster;
}

/**
 * The workspace charts a render runs helm on, whose dependencies must be built first: a local chart release's own,
 * and the charts a kustomization inflates with helmCharts (upstream charts come packaged with theirs).
 */
export function renderedCharts(release: Release, charts: readonly Chart[]): Chart[] {
  const dirs = !release.source ? [release.chartDir] : release.source.kind === 'kustomize' ? release.source.reads : [];
  return dirs.map((dir) => chartAt(charts, dir)).filter((chart): chart is Chart => chart !== undefined);
}

/**
 * A directory release holding other releases' Applications (the root app): it creates those releases, so it takes
 * no part in their sync-wave tiers (the bootstrap applies it).
 */
export function createsReleases(release: Release, releases: readonly Release[]): boolean {
  return release.source?.kind === 'directory' && releases.some((r) => r.definedIn.some((file) => file.startsWith(`${release.chartDir}/`)));
}

/**
 * The Application deploying ArgoCD itself (the upstream argo-cd chart, from a Helm repository or an OCI reference):
 * the bootstrap installs it before anything else, so it takes no part in the sync-wave tiers either.
 */
export function deploysArgoCD(release: Release): boolean {
  return release.source?.kind === 'upstream' && posix.basename(release.source.chart || release.source.repoURL) === 'argo-cd';
}
