import type { ProjectConfiguration, TargetConfiguration } from '@nx/devkit';
import { CRDS_DIR } from '../core/workspace/crds.ts';
import type { Resolution } from '../core/resolve/releases.ts';
import type { Chart, ClusterDeclaration, Release } from '../core/model/types.ts';
import { pluginLayout, type NormalizedOptions } from './options.ts';
import { secretsTarget } from './secrets-target.ts';
import { describeReleases, renderingTarget, toolingInputs } from './targets.ts';
import { clusterNamed } from '../core/model/lookup.ts';

type Input = NonNullable<TargetConfiguration['inputs']>[number];

/** Name of the root-level project the plugin creates for workspace-wide targets (`nx run workspace:check`). */
export const WORKSPACE_PROJECT = 'workspace';

/**
 * `lint`: helm lint --strict per release with its real value files and keyless secrets; a library chart on its
 * own. Reads what a render reads, secrets files only for their key structure (placeholders follow it).
 */
export function lintTarget(chart: Chart, releases: Release[], clusters: ClusterDeclaration[], options: NormalizedOptions): TargetConfiguration {
  return renderingTarget('lint', chart, releases, clusters, options, {
    metadata: {
      technologies: ['helm'],
      description:
        chart.type === 'library'
          ? `helm lint --strict ${chart.dir} (library chart, on its own)`
          : `helm lint --strict ${describeReleases(releases)} with their ArgoCD values (keyless)`,
    },
  });
}

/**
 * `validate`: keyless renders checked offline against the cluster's Kubernetes version and the CRDs the repository
 * declares: every chart's crds/ directory and clusters/<cluster>/crds/ (core/workspace/crds.ts).
 */
export function validateTarget(
  chart: Chart,
  releases: Release[],
  clusters: ClusterDeclaration[],
  options: NormalizedOptions,
  workspaceRoot: string,
): TargetConfiguration {
  const layout = pluginLayout(workspaceRoot, options);
  const clusterDirs = [...new Set(releases.map((r) => clusterNamed(clusters, r.cluster)?.dir).filter((d) => d !== undefined))];
  const crdInputs: Input[] = [...layout.charts.map((glob) => `${glob}/${CRDS_DIR}`), ...clusterDirs.map((dir) => `${dir}/${CRDS_DIR}`)]
    .sort()
    .map((dir) => `{workspaceRoot}/${dir}/**/*`);
  return renderingTarget('validate', chart, releases, clusters, options, {
    inputs: crdInputs,
    metadata: {
      technologies: ['helm'],
      description: `Validate the keyless renders of ${describeReleases(releases)} offline (Kubernetes schemas of the cluster's version, declared CRDs)`,
    },
  });
}

/**
 * The root-level `workspace` project with `check`. check reads every chart (templates for secret key reads,
 * renders for the tier order), every cluster directory, the value files and secrets files releases read.
 */
export function workspaceProject(resolution: Resolution, options: NormalizedOptions, workspaceRoot: string): ProjectConfiguration {
  const layout = pluginLayout(workspaceRoot, options);
  // Value files outside the chart and cluster directories (those are inputs as a whole). Each file's parent
  // directories are looked up, not every directory compared with every file (thousands of charts).
  const dirs = new Set([...resolution.charts, ...resolution.clusters].map((d) => d.dir));
  const inDirs = (path: string) => {
    for (let slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) if (dirs.has(path.slice(0, slash))) return true;
    return false;
  };
  const files = new Set<string>();
  for (const release of resolution.releases) {
    for (const path of [...release.valueFiles.filter((v) => !v.inChart).map((v) => v.path), ...release.fileParameters.map((p) => p.path)]) {
      if (!inDirs(path)) files.add(path);
    }
  }
  const inputs: Input[] = [
    ...layout.charts.flatMap((glob) => [`{workspaceRoot}/${glob}/**/*`, `!{workspaceRoot}/${glob}/charts/*.tgz`]),
    ...layout.clusters.map((glob) => `{workspaceRoot}/${glob}/**/*`),
    ...[...files].sort().map((file) => `{workspaceRoot}/${file}`),
    '{workspaceRoot}/nx.json',
    ...toolingInputs(workspaceRoot),
  ];
  const withDeps = resolution.charts.filter((c) => c.hasDependencies).map((c) => c.name);
  return {
    root: '.',
    name: WORKSPACE_PROJECT,
    tags: ['homelab:workspace'],
    targets: {
      [options.checkTargetName]: {
        executor: '@homelab/nx:check',
        cache: true,
        dependsOn: withDeps.length > 0 ? [{ target: options.depsTargetName, projects: withDeps }] : [],
        inputs,
        metadata: {
          technologies: ['helm'],
          description: 'Check the wiring between charts/ and clusters/ (deployed charts, paths, namespaces, sync-wave tiers, SOPS files, secret keys)',
        },
      },
      [options.verifyTargetName]: {
        executor: '@homelab/nx:verify',
        cache: true,
        dependsOn: withDeps.length > 0 ? [{ target: options.depsTargetName, projects: withDeps }] : [],
        inputs,
        metadata: {
          technologies: ['helm'],
          description: "Per release: the helm command ArgoCD's repo-server runs, run in a scratch copy and compared with the toolkit's render (keyless)",
          help: { command: 'node hack/verify --help', example: { options: { cluster: 'home' } } },
        },
      },
      [options.secretsTargetName]: secretsTarget(),
    },
  };
}
