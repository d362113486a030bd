import type { Release } from '../model/types.ts';
import type { HelmValues } from './values.ts';

/**
 * helm's argv for the offline commands (version, template, lint, dependency build), built from named options the way
 * ArgoCD's repo-server builds them from TemplateOpts, so template and lint cannot drift apart. One convention:
 * `chartPath` is the chart as seen from helm's working directory (`.` when helm runs in the chart's folder).
 */
export interface ReleaseCommandOptions {
  release: Release;
  values: HelmValues;
  /** The chart relative to helm's working directory; `.` when helm runs inside it. */
  chartPath?: string;
}

/** Flags template and lint share: the release's namespace and Kubernetes version, then ArgoCD's value flags. */
function releaseFlags({ release, values }: ReleaseCommandOptions): string[] {
  const args: string[] = [];
  if (release.namespace) args.push('--namespace', release.namespace);
  if (release.kubeVersion) args.push('--kube-version', release.kubeVersion);
  args.push(...values.args);
  return args;
}

/** `helm template` exactly as ArgoCD's repo-server runs it for this release (util/helm/cmd.go). */
export function templateArgs(options: ReleaseCommandOptions): string[] {
  const { release } = options;
  const args = ['template', options.chartPath ?? '.', '--name-template', release.name, ...releaseFlags(options)];
  for (const apiVersion of release.apiVersions) args.push('--api-versions', apiVersion);
  if (!release.skipCrds) args.push('--include-crds');
  if (release.skipSchemaValidation) args.push('--skip-schema-validation');
  if (release.skipTests) args.push('--skip-tests');
  return args;
}

/** `helm lint --strict` with the flags `helm template` gets that lint accepts. */
export function lintArgs(options: ReleaseCommandOptions): string[] {
  const args = ['lint', options.chartPath ?? '.', '--strict', ...releaseFlags(options)];
  if (options.release.skipSchemaValidation) args.push('--skip-schema-validation');
  return args;
}

/** `helm dependency build` offline (`--skip-refresh`: no repository index download), run inside the chart. */
export function dependencyBuildArgs(): string[] {
  return ['dependency', 'build', '--skip-refresh', '.'];
}

/** `helm version` printing only the version string (e.g. `v3.17.2`), which the major and the flag choices come from. */
export function versionArgs(): string[] {
  return ['version', '--template', '{{.Version}}'];
}
