import path from 'node:path';
import type { CreateDependencies, CreateNodes, DependencyType, ProjectConfiguration, TargetConfiguration } from '@nx/devkit';
import { resolveWorkspace } from '../core/resolve/workspace.ts';
import type { Resolution } from '../core/resolve/releases.ts';
import { normalizeOptions, pluginLayout, type HomelabPluginOptions, type NormalizedOptions } from './options.ts';
import { renderTarget } from './ci-targets.ts';
import { depsTarget, renderNamedInputs, templateTarget } from './targets.ts';
import { lintTarget, validateTarget, workspaceProject } from './quality-targets.ts';
import { provisionProject } from './provision-targets.ts';
import { clusterTargets, installWaveTags } from './cluster-targets.ts';
import type { Chart, Release } from '../core/model/types.ts';
import { sourceProjects } from './source-projects.ts';
import { upstreamProjects } from './upstream-projects.ts';
import { targetGroups } from './target-groups.ts';

/**
 * One Nx project per chart directory. Releases come from the ArgoCD manifests (the one resolver), so targets,
 * configurations and inputs follow what ArgoCD deploys. Resolution runs once per batch, not per chart.
 */
export const createNodes: CreateNodes<HomelabPluginOptions> = [
  // nx.json: the root-level `workspace` project (workspace-wide targets such as check);
  // <provisionDir>/site.yaml: the `provision` project (Nx allows one glob per plugin, so it is filtered here).
  '{**/Chart.yaml,nx.json,**/site.yaml}',
  async (allFiles, rawOptions, context) => {
    const options = normalizeOptions(rawOptions);
    lastResolution = undefined;
    const site = `${options.provisionDir}/site.yaml`;
    const provision = allFiles.includes(site)
      ? [[site, { projects: { [options.provisionDir]: provisionProject(options.provisionDir, options, context.workspaceRoot) } }] as const]
      : [];
    const configFiles = allFiles.filter((file) => file === 'nx.json' || path.posix.basename(file) === 'Chart.yaml');
    if (configFiles.length === 0) return provision;
    const layout = pluginLayout(context.workspaceRoot, options);
    const resolution = await resolveWorkspace(layout);
    lastResolution = { layout: JSON.stringify(layout), resolution };
    const wanted = new Set(configFiles.map((file) => path.posix.dirname(file.split(path.sep).join('/'))));
    const releasesByDir = new Map<string, Release[]>();
    for (const r of resolution.releases) {
      const list = releasesByDir.get(r.chartDir);
      if (list) list.push(r);
      else releasesByDir.set(r.chartDir, [r]);
    }
    const charts = resolution.charts
      .filter((chart) => wanted.has(chart.dir))
      .map(
        (chart) =>
          [
            `${chart.dir}/Chart.yaml`,
            { projects: { [chart.dir]: project(chart, releasesByDir.get(chart.dir) ?? [], resolution, options, context.workspaceRoot) } },
          ] as const,
      );
    if (!configFiles.includes('nx.json')) return [...charts, ...provision];
    // Directories that directory and Kustomize Applications deploy, and upstream Applications, have no config file of
    // their own: nx.json brings them.
    const projects = {
      '.': workspaceProject(resolution, options, context.workspaceRoot),
      ...sourceProjects(resolution, options, context.workspaceRoot),
      ...upstreamProjects(resolution, options, context.workspaceRoot),
    };
    return [...charts, ['nx.json', { projects }] as const, ...provision];
  },
];

export const createNodesV2 = createNodes;

/**
 * The resolution this process's createNodes just made: Nx calls createDependencies right after it on the same files
 * (daemon or not), so it needs no second resolution, nor a second check of every input.
 */
let lastResolution: { layout: string; resolution: Resolution } | undefined;

/** `releases`: the chart's own (grouped once: a lookup per chart over every release is quadratic at scale). */
function project(chart: Chart, releases: Release[], resolution: Resolution, options: NormalizedOptions, workspaceRoot: string): ProjectConfiguration {
  const { name, dir } = chart;
  const targets: Record<string, TargetConfiguration> = {};
  if (chart.hasDependencies) targets[options.depsTargetName] = depsTarget(chart);
  targets[options.lintTargetName] = lintTarget(chart, releases, resolution.clusters, options);
  if (chart.type !== 'library') {
    targets[options.templateTargetName] = templateTarget(chart, releases, resolution.clusters, options, resolution.releases);
    targets[options.renderTargetName] = renderTarget(chart, releases, resolution.clusters, options, resolution.releases);
    targets[options.validateTargetName] = validateTarget(chart, releases, resolution.clusters, options, workspaceRoot);
    Object.assign(targets, clusterTargets(chart, releases, resolution, options));
  }
  return {
    root: dir,
    name,
    projectType: chart.type === 'library' ? 'library' : 'application',
    tags: [`helm:${chart.type}`, ...new Set(releases.map((r) => `wave:${r.wave}`)), ...installWaveTags(name, resolution)],
    // Rendering reads every file of the chart except the dependency archives helm-deps writes into charts/.
    namedInputs: {
      chart: ['{projectRoot}/**/*', '!{projectRoot}/charts/*.tgz'],
      ...renderNamedInputs(chart, releases, resolution.clusters, workspaceRoot),
    },
    targets,
    metadata: { targetGroups: targetGroups(targets, options) },
  };
}

/** DependencyType.static's value: importing the enum would load @nx/devkit (some 400 modules) into every graph computation. */
const STATIC = 'static' as DependencyType.static;

/** Edges from `file://` dependencies: a library chart change affects every chart built on it. */
export const createDependencies: CreateDependencies<HomelabPluginOptions> = async (rawOptions, context) => {
  const options = normalizeOptions(rawOptions);
  const layout = pluginLayout(context.workspaceRoot, options);
  const { charts } = lastResolution?.layout === JSON.stringify(layout) ? lastResolution.resolution : await resolveWorkspace(layout);
  const projectByDir = new Map(Object.entries(context.projects).map(([projectName, config]) => [config.root, projectName]));
  return charts.flatMap((chart) => {
    const source = projectByDir.get(chart.dir);
    if (!source) return [];
    return chart.localDependencies
      .map((dependency) => projectByDir.get(dependency.dir))
      .filter((target): target is string => target !== undefined)
      .map((target) => ({ source, target, type: STATIC, sourceFile: `${chart.dir}/Chart.yaml` }));
  });
};
