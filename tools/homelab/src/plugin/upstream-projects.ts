import { posix } from 'node:path';
import type { ProjectConfiguration, TargetConfiguration } from '@nx/devkit';
import type { Resolution } from '../core/resolve/releases.ts';
import type { Chart, Release } from '../core/model/types.ts';
import type { ChartCoordinates } from '../core/helm/chart-cache.ts';
import type { NormalizedOptions } from './options.ts';
import { renderTarget } from './ci-targets.ts';
import { clusterTargets, installWaveTags } from './cluster-targets.ts';
import { lintTarget, validateTarget } from './quality-targets.ts';
import { renderNamedInputs, templateTarget } from './targets.ts';
import { cachedChartCommand } from '../core/helm/chart-record.ts';
import { targetGroups } from './target-groups.ts';

type Input = NonNullable<TargetConfiguration['inputs']>[number];

/**
 * One Nx project per upstream Application (a chart from a Helm repository or OCI registry), named after the
 * Application as its releases are (`nx run argocd:template`, `nx run cert-manager:diff`). It has no folder of its own:
 * its root is where its Application file lives, joined with its name, and owns no file. Its targets are a chart's
 * minus the dependency build (the pulled chart carries its dependencies): template, render, lint, validate, install,
 * uninstall, diff, status. Their inputs are the render's (the Application file, the value files of this repository,
 * the cluster declaration, the tooling) plus, instead of a chart folder, the exact version and digest the chart cache
 * holds for each release's repoURL + chart + targetRevision (core/helm/chart-record.ts).
 */
export function upstreamProjects(resolution: Resolution, options: NormalizedOptions, workspaceRoot: string): Record<string, ProjectConfiguration> {
  const byName = new Map<string, Release[]>();
  for (const release of resolution.releases) {
    if (release.source?.kind === 'upstream') byName.set(release.chart, [...(byName.get(release.chart) ?? []), release]);
  }
  const projects: Record<string, ProjectConfiguration> = {};
  for (const [name, releases] of byName) {
    const root = posix.join(posix.dirname(releases[0].definedIn[0] ?? '.'), name);
    // The target builders take a chart: this stand-in has no files and nothing for helm to build.
    const chart: Chart = { name, dir: root, type: 'application', version: '', localDependencies: [], hasDependencies: false };
    const targets: Record<string, TargetConfiguration> = {
      [options.templateTargetName]: templateTarget(chart, releases, resolution.clusters, options, resolution.releases),
      [options.renderTargetName]: renderTarget(chart, releases, resolution.clusters, options, resolution.releases),
      [options.lintTargetName]: lintTarget(chart, releases, resolution.clusters, options),
      [options.validateTargetName]: validateTarget(chart, releases, resolution.clusters, options, workspaceRoot),
      ...clusterTargets(chart, releases, resolution, options),
    };
    projects[root] = {
      root,
      name,
      projectType: 'application',
      tags: ['source:upstream', ...new Set(releases.map((r) => `wave:${r.wave}`)), ...installWaveTags(name, resolution)],
      namedInputs: { chart: cachedChartInputs(upstreamCoordinates(releases)), ...renderNamedInputs(chart, releases, resolution.clusters, workspaceRoot) },
      targets,
      metadata: { targetGroups: targetGroups(targets, options) },
    };
  }
  return projects;
}

function upstreamCoordinates(releases: Release[]): ChartCoordinates[] {
  return releases.flatMap((r) =>
    r.source?.kind === 'upstream' ? [{ repoURL: r.source.repoURL, chart: r.source.chart, revision: r.source.targetRevision }] : [],
  );
}

/**
 * What stands in for a chart folder of a pulled chart (an upstream Application's, or one a kustomization pulls): the
 * exact version and digest the chart cache holds for its coordinates, as a runtime input (shell built-ins), once per chart.
 */
export function cachedChartInputs(charts: ChartCoordinates[]): Input[] {
  const seen = new Set<string>();
  const inputs: Input[] = [];
  for (const { repoURL, chart, revision } of charts) {
    const args = [repoURL, chart, revision];
    const key = args.join('\0');
    if (seen.has(key)) continue;
    seen.add(key);
    inputs.push({ runtime: cachedChartCommand({ repoURL, chart, revision }) });
  }
  return inputs;
}
