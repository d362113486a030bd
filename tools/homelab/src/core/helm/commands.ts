import { HomelabError } from '../model/errors.ts';
import type { KubeScope } from '../model/kube-scope.ts';
import type { Release } from '../model/types.ts';
import type { HelmValues } from './values.ts';

/**
 * helm's argv for every command the toolkit runs (version, template, lint, dependency build, pull, package, and the
 * cluster commands below), built from named options the way ArgoCD's repo-server builds them from TemplateOpts, so
 * template and lint cannot drift apart. One working-directory convention: every path in an argv is as helm sees it
 * from the directory the caller runs it in (template, lint and dependency build run in the chart's folder: `chartPath`
 * `.`; the cluster commands run at the workspace root: the chart's workspace-relative directory and value files
 * relative to it, so a printed command can be pasted there; pull and package take absolute paths).
 */
export interface ReleaseCommandOptions {
  release: Release;
  values: HelmValues;
  /** The chart relative to helm's working directory; `.` when helm runs inside it. */
  chartPath?: string;
  /** helm's --show-only templates: a partial render the user asked for, which ArgoCD never does. */
  showOnly?: readonly string[];
  /** The user's own values (hack --set/-f), which ArgoCD never has. */
  overlay?: ValueOverlay;
}

/**
 * Values a user adds at the shell (`--set`, `--set-string`, `-f`): given after ArgoCD's value flags, so helm applies
 * them as it applies flags given later (a later --set wins over ArgoCD's parameters; a later -f over its value files,
 * not over its parameters). Value files are absolute paths.
 */
export interface ValueOverlay {
  valueFiles: readonly string[];
  set: readonly string[];
  setString: readonly string[];
}

function overlayArgs(overlay: ValueOverlay | undefined): string[] {
  if (!overlay) return [];
  return [
    ...overlay.valueFiles.flatMap((file) => ['--values', file]),
    ...overlay.set.flatMap((value) => ['--set', value]),
    ...overlay.setString.flatMap((value) => ['--set-string', value]),
  ];
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
  const args = ['template', options.chartPath ?? '.', '--name-template', release.name, ...releaseFlags(options), ...overlayArgs(options.overlay)];
  for (const apiVersion of release.apiVersions) args.push('--api-versions', apiVersion);
  if (!release.skipCrds) args.push('--include-crds');
  if (release.skipSchemaValidation) args.push('--skip-schema-validation');
  if (release.skipTests) args.push('--skip-tests');
  for (const template of options.showOnly ?? []) args.push('--show-only', template);
  return args;
}

/**
 * `helm lint --strict` with the flags `helm template` gets that lint accepts. An upstream chart is linted without
 * `--strict`: its warnings (e.g. a `v`-prefixed chart version) are its maintainers' to fix, not the repository's.
 */
export function lintArgs(options: ReleaseCommandOptions): string[] {
  const lint = libraryLintArgs(options.chartPath ?? '.');
  const args = [...(options.release.source?.kind === 'upstream' ? lint.filter((a) => a !== '--strict') : lint), ...releaseFlags(options)];
  if (options.release.skipSchemaValidation) args.push('--skip-schema-validation');
  return args;
}

/** `helm lint --strict` of a library chart on its own: no release, so no namespace and no values. */
export function libraryLintArgs(chartPath: string): string[] {
  return ['lint', chartPath, '--strict'];
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

/**
 * The commands that change or read a release on a cluster. Every call names the namespace and `--kube-context`.
 * Flag differences between Helm majors (checked against helm 3.17 and 4.1):
 *
 * | intent                 | Helm 4                          | Helm 3                 |
 * |------------------------|---------------------------------|------------------------|
 * | undo a failed change   | --rollback-on-failure           | --atomic               |
 * | wait for readiness     | --wait=watcher (or legacy)      | --wait                 |
 * | simulate               | --dry-run=client / server       | --dry-run=client / server (3.13+) |
 */
export type WaitStrategy = 'watcher' | 'legacy';

export interface WaitFlags {
  wait: WaitStrategy;
  /** Go duration, e.g. `5m`, `90s`. */
  timeout: string;
}

export interface InstallFlags extends WaitFlags {
  /** Let helm simulate the change (server: validated by the API server, nothing persisted). */
  helmDryRun?: 'client' | 'server';
}

/** A local chart directory or a chart in a Helm repository / OCI registry. */
export interface ChartRef {
  /**
   * The chart's directory as seen from helm's working directory: a chart of this repository, or an upstream chart's
   * extracted copy in the chart cache (helm never fetches a chart itself).
   */
  chart: string;
}

export const DEFAULT_TIMEOUT = '5m';

export function assertTimeout(timeout: string): string {
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(timeout)) {
    throw new HomelabError(`invalid timeout "${timeout}"`, 'use a Go duration such as 90s, 5m or 1h30m');
  }
  return timeout;
}

/** A release on a cluster: which one, and where it lives. */
export interface ClusterReleaseOptions {
  release: Release;
  kube: KubeScope;
}

/** A command that waits for the cluster: helm's major decides the flag spelling. */
export interface WaitingReleaseOptions extends ClusterReleaseOptions {
  major: number;
  flags: WaitFlags;
}

function where({ kube }: ClusterReleaseOptions): string[] {
  return ['--namespace', kube.namespace, '--kube-context', kube.context];
}

function waitArgs({ major, flags }: WaitingReleaseOptions): string[] {
  return [major === 4 ? `--wait=${flags.wait}` : '--wait', '--timeout', assertTimeout(flags.timeout)];
}

export interface UpgradeInstallArgsOptions extends WaitingReleaseOptions {
  chart: ChartRef;
  /** ArgoCD's value flags, their paths as seen from helm's working directory (secrets on pipes). */
  values: HelmValues;
  overlay?: ValueOverlay;
  flags: InstallFlags;
}

/**
 * `helm upgrade --install` of a release exactly as resolved: its name and namespace, ArgoCD's value flags,
 * `--take-ownership` to adopt what ArgoCD applied, wait + timeout, rollback on failure. Renders use
 * `--kube-version`/`--api-versions` offline; a real install asks the cluster instead.
 */
export function upgradeInstallArgs(options: UpgradeInstallArgsOptions): string[] {
  const { release, chart, values, major, flags } = options;
  const args = ['upgrade', release.name, chart.chart, '--install', ...where(options), '--create-namespace'];
  args.push(...values.args, ...overlayArgs(options.overlay), '--take-ownership');
  if (release.skipCrds) args.push('--skip-crds');
  if (release.skipSchemaValidation) args.push('--skip-schema-validation');
  args.push(major === 4 ? '--rollback-on-failure' : '--atomic', ...waitArgs(options));
  if (flags.helmDryRun) args.push(`--dry-run=${flags.helmDryRun}`);
  return args;
}

/** The release as helm would store it, rendered against the cluster and stored nowhere (`-o json` on stdout). */
export function serverDryRunArgs(options: UpgradeInstallArgsOptions): string[] {
  return [...upgradeInstallArgs({ ...options, flags: { ...options.flags, helmDryRun: 'server' } }), '-o', 'json'];
}

export function historyArgs(options: ClusterReleaseOptions): string[] {
  return ['history', options.release.name, ...where(options), '--max', '20', '-o', 'json'];
}

export function rollbackArgs(options: WaitingReleaseOptions & { revision: number | string }): string[] {
  return ['rollback', options.release.name, String(options.revision), ...where(options), ...waitArgs(options)];
}

export function getManifestArgs(options: ClusterReleaseOptions): string[] {
  return ['get', 'manifest', options.release.name, ...where(options)];
}

export function uninstallArgs(options: WaitingReleaseOptions): string[] {
  return ['uninstall', options.release.name, ...where(options), ...waitArgs(options)];
}
