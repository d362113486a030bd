import type { ProjectConfiguration, TargetConfiguration } from '@nx/devkit';
import type { Resolution } from '../core/resolve/releases.ts';
import type { Chart, Release } from '../core/model/types.ts';
import type { NormalizedOptions } from './options.ts';
import { renderTarget } from './ci-targets.ts';
import { clusterTargets, installWaveTags } from './cluster-targets.ts';
import { validateTarget } from './quality-targets.ts';
import { renderNamedInputs, templateTarget } from './targets.ts';
import { targetGroups } from './target-groups.ts';
import { cachedChartInputs } from './upstream-projects.ts';
import { renderedCharts } from '../core/model/lookup.ts';

/**
 * One Nx project per directory a directory or Kustomize Application deploys (or per name several environments' own
 * directories share), rooted there and named as the resolver names it (the Application's name, or the path joined
 * with `-` when that is taken). Its targets are a chart's
 * minus what needs helm's chart machinery (deps, lint, status): template, render, validate, install (kubectl apply
 * --server-side), uninstall (kubectl delete) and diff. Its inputs are the directory and every directory the build
 * reads (Kustomize bases, components, inflated charts), and for each chart the build pulls from a repository the
 * version and digest the chart cache holds for it (as an upstream project's).
 */
export function sourceProjects(resolution: Resolution, options: NormalizedOptions, workspaceRoot: string): Record<string, ProjectConfiguration> {
  const byName = new Map<string, Release[]>();
  for (const release of resolution.releases) {
    if (release.source?.kind !== 'directory' && release.source?.kind !== 'kustomize') continue;
    byName.set(release.chart, [...(byName.get(release.chart) ?? []), release]);
  }
  const projects: Record<string, ProjectConfiguration> = {};
  for (const [name, releases] of byName) {
    // Environments deploying their own directory under one name (each one's root) make one project, rooted at the first.
    const [dir, ...otherDirs] = [...new Set(releases.map((r) => r.chartDir))].sort();
    // The target builders take a chart: this directory stands in for one, with nothing for helm to build.
    const chart: Chart = { name, dir, type: 'application', version: '', localDependencies: [], hasDependencies: false };
    const reads = [...new Set(releases.flatMap((r) => (r.source?.kind === 'kustomize' ? r.source.reads : [])))].sort();
    const pulls = releases.flatMap((r) =>
      r.source?.kind === 'kustomize' ? r.source.pulls.map((pull) => ({ repoURL: pull.repoURL, chart: pull.chart, revision: pull.version })) : [],
    );
    const targets: Record<string, TargetConfiguration> = {
      [options.templateTargetName]: templateTarget(chart, releases, resolution.clusters, options, resolution.releases),
      [options.renderTargetName]: renderTarget(chart, releases, resolution.clusters, options, resolution.releases),
      [options.validateTargetName]: validateTarget(chart, releases, resolution.clusters, options, workspaceRoot),
      ...clusterTargets(chart, releases, resolution, options),
    };
    delete targets[options.statusTargetName];
    // Charts a kustomization inflates render with their dependencies built, as a chart project's targets do.
    const built = [...new Set(releases.flatMap((r) => renderedCharts(r, resolution.charts)).filter((c) => c.hasDependencies))].map((c) => c.name).sort();
    if (built.length > 0) {
      for (const name of [options.templateTargetName, options.renderTargetName, options.validateTargetName]) {
        targets[name].dependsOn = [{ target: options.depsTargetName, projects: built }];
      }
    }
    for (const target of Object.values(targets)) {
      const kinds = [...new Set(releases.map((r) => r.source!.kind))];
      target.metadata = { ...target.metadata, technologies: kinds.includes('kustomize') ? ['kustomize'] : ['kubernetes'] };
      if (typeof target.metadata.description === 'string') target.metadata.description = describe(target.metadata.description, releases);
    }
    projects[dir] = {
      root: dir,
      name,
      projectType: 'application',
      tags: [
        ...new Set(releases.map((r) => `source:${r.source!.kind}`)),
        ...new Set(releases.map((r) => `wave:${r.wave}`)),
        ...installWaveTags(name, resolution),
      ],
      namedInputs: {
        chart: ['{projectRoot}/**/*', ...[...otherDirs, ...reads].map((read) => `{workspaceRoot}/${read}/**/*`), ...cachedChartInputs(pulls)],
        ...renderNamedInputs(chart, releases, resolution.clusters, workspaceRoot),
      },
      targets,
      metadata: { targetGroups: targetGroups(targets, options) },
    };
  }
  return projects;
}

/** The chart targets' descriptions speak of helm; for these releases the tool is kubectl. */
function describe(description: string, releases: Release[]): string {
  const tool = releases.some((r) => r.source?.kind === 'kustomize') ? 'kubectl kustomize' : 'its files';
  return description
    .replace(/^helm upgrade --install (.*) exactly as ArgoCD deploys it/, 'kubectl apply --server-side $1 exactly as ArgoCD renders it')
    .replace(
      /^helm uninstall (.*) \(asks first; keeps PVCs unless --delete-data; tier 0 needs --force\)/,
      'kubectl delete of $1 (asks first; keeps PVCs and Namespaces unless --delete-data; tier 0 needs --force)',
    )
    .replace(/^Render (.*) exactly as ArgoCD would/, `Render $1 from ${tool} exactly as ArgoCD's repo-server would`);
}
