import type { TargetConfiguration } from '@nx/devkit';
import type { Resolution } from '../core/resolve/releases.ts';
import type { Chart, Release } from '../core/model/types.ts';
import { FOR_CHART } from '../executors/lower-wave.ts';
import type { NormalizedOptions } from './options.ts';
import { createsReleases, deploysArgoCD } from '../core/model/lookup.ts';
import { describeReleases, environmentNames, RENDER_INPUTS, releaseConfigurations } from './targets.ts';

/**
 * Targets that act on a live cluster: install, uninstall, diff, status, preview, and the bootstrap on the bootstrap
 * chart. Never cached (the cluster is an input Nx cannot hash). Their inputs are the render's, so
 * `nx affected -t diff` picks the charts whose render changed.
 */
export function clusterTargets(chart: Chart, releases: Release[], resolution: Resolution, options: NormalizedOptions): Record<string, TargetConfiguration> {
  if (chart.type === 'library' || releases.length === 0) return {};
  const environments = workspaceEnvironments(resolution);
  const configurations = releaseConfigurations(releases, environments);
  const what = describeReleases(releases);
  const target = (executor: string, description: string, extra: Partial<TargetConfiguration> = {}): TargetConfiguration => ({
    executor: `@homelab/nx:${executor}`,
    cache: false,
    inputs: [...RENDER_INPUTS],
    // No `options: {}`: Nx gives a target without options that itself, and every key costs each project an entry in
    // Nx's graph and source-map caches.
    configurations,
    metadata: { technologies: ['helm'], description, help: hackHelp(executor) },
    ...extra,
  });
  const isBootstrap = chart.name === options.bootstrapChart;
  // One environment at a time: `system:install:lab` reaches `bootstrap:lab`, never another cluster's.
  const perEnvironment = Object.fromEntries(environments.map((env) => [env, { cluster: env }]));
  const targets: Record<string, TargetConfiguration> = {
    [options.installTargetName]: isBootstrap
      ? {
          // The bootstrap chart's install is the bootstrap: ArgoCD, this chart, the age key, the root app.
          executor: 'nx:noop',
          cache: false,
          dependsOn: [{ target: options.bootstrapTargetName, params: 'forward' }],
          configurations: perEnvironment,
          metadata: { technologies: ['helm'], description: `Bootstrap the cluster (runs ${options.bootstrapTargetName})` },
        }
      : target('install', `helm upgrade --install ${what} exactly as ArgoCD deploys it (escape hatch; the context guard applies)`, {
          options: { [FOR_CHART]: chart.name },
          dependsOn: lowerWaves(chart, resolution, options),
        }),
    [options.uninstallTargetName]: target('uninstall', `helm uninstall ${what} (asks first; keeps PVCs unless --delete-data; tier 0 needs --force)`),
    [options.diffTargetName]: target('diff', `the render of ${what} against the live cluster, as kubectl diff --server-side shows it (exit 1 on drift)`),
    [options.statusTargetName]: target('status', `Helm release state and ArgoCD sync/health of ${what}`),
  };
  // Charts of this repository, the ones pull requests change. Not the bootstrap chart (it holds what every namespace
  // shares: Namespaces, the AppProject), nor a directory or Kustomize source (no Helm release to copy).
  if (!isBootstrap && releases.every((r) => r.source === undefined)) {
    targets[options.previewTargetName] = target(
      'preview',
      `a pull request's copy of ${what} as <release>-pr-<n> in the namespace of that name (--pr <n>; --teardown removes it)`,
    );
  }
  if (isBootstrap) {
    targets[options.bootstrapTargetName] = target(
      'bootstrap',
      `Bootstrap the cluster: age key Secret, ArgoCD from its pinned chart, ${chart.name}, the root app-of-apps`,
      { configurations: perEnvironment },
    );
  }
  return targets;
}

/**
 * What Nx's project view shows as a target's usage: the hack script of the same command prints the same options
 * (`--dryRun` is the example every cluster command accepts).
 */
function hackHelp(executor: string): NonNullable<TargetConfiguration['metadata']>['help'] {
  const options = executor === 'status' ? {} : executor === 'preview' ? { pr: 42, dryRun: true } : { dryRun: true };
  return { command: `node hack/${executor} --help`, example: { options } };
}

/** Every environment of the workspace, once per resolution (each chart asks: over every release, quadratic). */
const environmentsOf = new WeakMap<Resolution, string[]>();

function workspaceEnvironments(resolution: Resolution): string[] {
  let environments = environmentsOf.get(resolution);
  if (!environments) {
    environments = environmentNames(resolution.clusters, resolution.releases);
    environmentsOf.set(resolution, environments);
  }
  return environments;
}

/** The wave each chart installs in, per environment: its lowest release wave there. Computed once per resolution. */
const chartWaves = new WeakMap<Resolution, Map<string, Map<string, number>>>();

function wavesOf(resolution: Resolution): Map<string, Map<string, number>> {
  let byEnv = chartWaves.get(resolution);
  if (!byEnv) {
    byEnv = new Map();
    for (const r of resolution.releases) {
      if (createsReleases(r, resolution.releases) || deploysArgoCD(r)) continue;
      const waves = byEnv.get(r.cluster) ?? new Map<string, number>();
      waves.set(r.chart, Math.min(waves.get(r.chart) ?? Number.POSITIVE_INFINITY, r.wave));
      byEnv.set(r.cluster, waves);
    }
    chartWaves.set(resolution, byEnv);
  }
  return byEnv;
}

/**
 * `nx run-many -t install` goes tier by tier: each install waits for the installs of every chart in a lower
 * wave (the bootstrap chart always first). Task-graph edges only (dependsOn), no project-graph edges, so
 * `nx affected` is not widened. `nx run X:install` also pulls the lower waves into the graph: they get the
 * command line (`--dryRun` above all) and X's `forChart`, so they know they were not asked for and act only with
 * `--withLowerWaves`. Nx edges belong to a target, not a configuration: they are the union of every
 * environment's lower waves, and a configuration reaches the same configuration of each (every install has one
 * per environment, doing nothing where its project has no release), so `X:install:lab` waits only for `lab` tasks.
 */
function lowerWaves(chart: Chart, resolution: Resolution, options: NormalizedOptions): TargetConfiguration['dependsOn'] {
  if (chart.name === options.bootstrapChart) return [];
  const lower = new Set<string>();
  for (const [env, waves] of wavesOf(resolution)) {
    const wave = waves.get(chart.name);
    if (wave === undefined) continue;
    if (waves.has(options.bootstrapChart)) lower.add(options.bootstrapChart);
    for (const other of distinctWaves(waves)) if (other < wave) lower.add(`tag:${installWaveTag(env, other)}`);
  }
  return lower.size ? [{ target: options.installTargetName, projects: [...lower].sort(), params: 'forward', options: 'forward' }] : [];
}

/** The waves of one environment, once per resolution (each chart's install asks). */
const distinctOf = new WeakMap<Map<string, number>, Set<number>>();

function distinctWaves(waves: Map<string, number>): Set<number> {
  let distinct = distinctOf.get(waves);
  if (!distinct) {
    distinct = new Set(waves.values());
    distinctOf.set(waves, distinct);
  }
  return distinct;
}

/**
 * The tags naming the wave a project installs in, one per environment it installs in: install's dependsOn selects
 * the lower waves by tag, a few patterns instead of every chart in them (quadratic in the number of charts).
 */
export function installWaveTags(project: string, resolution: Resolution): string[] {
  const tags: string[] = [];
  for (const [env, waves] of wavesOf(resolution)) {
    const wave = waves.get(project);
    if (wave !== undefined) tags.push(installWaveTag(env, wave));
  }
  return tags.sort();
}

function installWaveTag(env: string, wave: number): string {
  return `install-wave:${env}:${wave}`;
}
