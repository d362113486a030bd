import type { Release } from '../model/types.ts';
import type { HelmValues } from './values.ts';

/**
 * helm's argv for the commands run outside a cluster (version, template, lint, dependency build, pull, package), built from named options the way
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

/**
 * `helm dependency build`, run inside the chart: offline (`--skip-refresh`: no repository index download) unless
 * `refresh` is set for a chart whose remote dependencies are not in the chart cache yet.
 */
export function dependencyBuildArgs(options: { refresh?: boolean } = {}): string[] {
  return options.refresh ? ['dependency', 'build', '.'] : ['dependency', 'build', '--skip-refresh', '.'];
}

/** `helm pull` of an OCI chart into `destination`; `plainHttp` for registries on loopback (no TLS). */
export function pullArgs(options: { reference: string; version: string; destination: string; plainHttp?: boolean }): string[] {
  const args = ['pull', options.reference, '--destination', options.destination];
  if (options.version) args.push('--version', options.version);
  if (options.plainHttp) args.push('--plain-http');
  return args;
}

/** `helm package` of a `file://` dependency into a chart's charts/ folder (what dependency build does for it). */
export function packageArgs(chartDir: string, destination: string): string[] {
  return ['package', chartDir, '--destination', destination];
}

/** `helm version` printing only the version string (e.g. `v3.17.2`), which the major and the flag choices come from. */
export function versionArgs(): string[] {
  return ['version', '--template', '{{.Version}}'];
}
