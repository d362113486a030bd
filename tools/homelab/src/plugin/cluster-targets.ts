import type { TargetConfiguration } from '@nx/devkit';
import type { Resolution } from '../core/resolve/releases.ts';
import type { Chart, Release } from '../core/model/types.ts';
import { FOR_CHART } from '../executors/lower-wave.ts';
import type { NormalizedOptions } from './options.ts';
import { createsReleases, deploysArgoCD } from '../core/model/lookup.ts';
import { describeReleases, releaseConfigurations, renderInputs, secretsInputs } from './targets.ts';

/**
 * Targets that act on a live cluster: install, uninstall, diff, status, and the bootstrap on the bootstrap
 * chart. Never cached (the cluster is an input Nx cannot hash). Their inputs are the render's, so
 * `nx affected -t diff` picks the charts whose render changed.
 */
export function clusterTargets(
  chart: Chart,
  releases: Release[],
  resolution: Resolution,
  options: NormalizedOptions,
  workspaceRoot: string,
): Record<string, TargetConfiguration> {
  if (chart.type === 'library' || releases.length === 0) return {};
  const inputs = [...renderInputs(chart, releases, resolution.clusters, workspaceRoot), ...secretsInputs(releases)];
  const configurations = releaseConfigurations(releases);
  const what = describeReleases(releases);
  const target = (executor: string, description: string, extra: Partial<TargetConfiguration> = {}): TargetConfiguration => ({
    executor: `@homelab/nx:${executor}`,
    cache: false,
    inputs,
    options: {},
    configurations,
    metadata: { technologies: ['helm', 'kubernetes', 'argocd'], description, help: hackHelp(executor) },
    ...extra,
  });
  const isBootstrap = chart.name === options.bootstrapChart;
  const targets: Record<string, TargetConfiguration> = {
    [options.installTargetName]: isBootstrap
      ? {
          // The bootstrap chart's install is the bootstrap: ArgoCD, this chart, the age key, the root app.
          executor: 'nx:noop',
          cache: false,
          dependsOn: [{ target: options.bootstrapTargetName, params: 'forward' }],
          metadata: { technologies: ['helm', 'kubernetes', 'argocd'], description: `Bootstrap the cluster (runs ${options.bootstrapTargetName})` },
        }
      : target('install', `helm upgrade --install ${what} exactly as ArgoCD deploys it (escape hatch; the context guard applies)`, {
          options: { [FOR_CHART]: chart.name },
          dependsOn: lowerWaves(chart, resolution, options),
        }),
    [options.uninstallTargetName]: target('uninstall', `helm uninstall ${what} (asks first; keeps PVCs unless --delete-data; tier 0 needs --force)`),
    [options.diffTargetName]: target('diff', `the render of ${what} against the live cluster, as kubectl diff --server-side shows it (exit 1 on drift)`),
    [options.statusTargetName]: target('status', `Helm release state and ArgoCD sync/health of ${what}`),
  };
  if (isBootstrap) {
    targets[options.bootstrapTargetName] = target(
      'bootstrap',
      `Bootstrap the cluster: age key Secret, ArgoCD from its pinned chart, ${chart.name}, the root app-of-apps`,
      {
        configurations: undefined,
      },
    );
  }
  return targets;
}

/**
 * What Nx's project view shows as a target's usage: the hack script of the same command prints the same options
 * (`--dryRun` is the example every cluster command accepts).
 */
function hackHelp(executor: string): NonNullable<TargetConfiguration['metadata']>['help'] {
  return { command: `node hack/${executor} --help`, example: { options: executor === 'status' ? {} : { dryRun: true } } };
}

/** The wave each chart installs in: its lowest release wave. Computed once per resolution, not once per pair of charts. */
const chartWaves = new WeakMap<Resolution, Map<string, number>>();

function wavesOf(resolution: Resolution): Map<string, number> {
  let waves = chartWaves.get(resolution);
  if (!waves) {
    waves = new Map();
    for (const r of resolution.releases) {
      if (!createsReleases(r, resolution.releases) && !deploysArgoCD(r)) waves.set(r.chart, Math.min(waves.get(r.chart) ?? Number.POSITIVE_INFINITY, r.wave));
    }
    chartWaves.set(resolution, waves);
  }
  return waves;
}

/**
 * `nx run-many -t install` goes tier by tier: each install waits for the installs of every chart in a lower
 * wave (the bootstrap chart always first). Task-graph edges only (dependsOn), no project-graph edges, so
 * `nx affected` is not widened. `nx run X:install` also pulls the lower waves into the graph: they get the
 * command line (`--dryRun` above all) and X's `forChart`, so they know they were not asked for and act only with
 * `--withLowerWaves`.
 */
function lowerWaves(chart: Chart, resolution: Resolution, options: NormalizedOptions): TargetConfiguration['dependsOn'] {
  const waves = wavesOf(resolution);
  const waveOf = (name: string) => (name === options.bootstrapChart ? Number.NEGATIVE_INFINITY : waves.get(name)!);
  const wave = waveOf(chart.name);
  const lower = [...waves.keys()].filter((other) => other !== chart.name && waveOf(other) < wave).sort();
  return lower.length ? [{ target: options.installTargetName, projects: lower, params: 'forward', options: 'forward' }] : [];
}
