import { HomelabError } from '../model/errors.ts';
import type { Helm } from '../helm/helm.ts';
import { invocation, relativeToRoot, type Invocation } from '../exec/invocation.ts';
import type { KubeTarget } from './kube.ts';
import type { Release } from '../model/types.ts';
import type { HelmValues } from '../helm/values.ts';

/**
 * helm's argv for the cluster-changing actions, per Helm major. Every call names the release's namespace
 * and `--kube-context` explicitly. Flag differences (checked against helm 3.17 and 4.1):
 *
 * | intent                 | Helm 4                          | Helm 3                 |
 * |------------------------|---------------------------------|------------------------|
 * | undo a failed change   | --rollback-on-failure           | --atomic               |
 * | wait for readiness     | --wait=watcher (or legacy)      | --wait                 |
 * | simulate               | --dry-run=client / server       | --dry-run=client / server (3.13+) |
 */
export type WaitStrategy = 'watcher' | 'legacy';

export interface InstallFlags {
  wait: WaitStrategy;
  /** Go duration, e.g. `5m`, `90s`. */
  timeout: string;
  /** Let helm simulate the change (server: validated by the API server, nothing persisted). */
  helmDryRun?: 'client' | 'server';
}

/** A local chart directory (workspace-relative) or a chart in a Helm repository / OCI registry. */
export interface ChartRef {
  chart: string;
  repo?: string;
  version?: string;
}

export const DEFAULT_TIMEOUT = '5m';

export function assertTimeout(timeout: string): string {
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(timeout)) {
    throw new HomelabError(`invalid timeout "${timeout}"`, 'use a Go duration such as 90s, 5m or 1h30m');
  }
  return timeout;
}

function waitFlag(helm: Helm, wait: WaitStrategy): string {
  return helm.major === 4 ? `--wait=${wait}` : '--wait';
}

function where(release: Pick<Release, 'namespace'>, target: KubeTarget): string[] {
  return ['--namespace', release.namespace, '--kube-context', target.context];
}

/** What each helm input pipe carries, in buildHelmValues' order (secret value files, then inline values). */
export function valueInputLabels(release: Release, values: HelmValues, present: (file: string) => boolean): string[] {
  const labels = release.valueFiles
    .filter((file) => file.secret && (!release.ignoreMissingValueFiles || present(file.path)))
    .map((file) => `${file.path} (${file.raw}), decrypted in memory`);
  const inline = release.valuesObject !== undefined && release.valuesObject !== null ? 'valuesObject' : 'values';
  if (values.inputs.length > labels.length) labels.push(`spec.source.helm.${inline} of Application ${release.application || release.name}`);
  return labels;
}

/** Everything one `helm upgrade --install` needs, named: no positional list to get out of order. */
export interface UpgradeInstallOptions {
  helm: Helm;
  /** Workspace root: helm runs there and value-file paths are written relative to it. */
  root: string;
  release: Release;
  chart: ChartRef;
  target: KubeTarget;
  values: HelmValues;
  /** What each value input pipe carries, for the printed invocation (valueInputLabels). */
  inputLabels: string[];
  flags: InstallFlags;
}

/**
 * `helm upgrade --install` of a release exactly as resolved: its name and namespace, ArgoCD's value flags
 * (secrets on pipes), `--take-ownership` to adopt what ArgoCD applied, wait + timeout, rollback on failure.
 * Renders use `--kube-version`/`--api-versions` offline; a real install asks the cluster instead.
 */
export function upgradeInstall({ helm, root, release, chart, target, values, inputLabels, flags }: UpgradeInstallOptions): Invocation {
  if (helm.major === 3 && Number(/^v3\.(\d+)\./.exec(helm.version)?.[1]) < 17) {
    throw new HomelabError(
      `helm ${helm.version} cannot adopt what ArgoCD applied (--take-ownership needs Helm 3.17 or later)`,
      'upgrade helm, or set HELM_BIN to Helm 3.17+ or Helm 4',
    );
  }
  const args = ['upgrade', release.name, chart.chart, '--install', ...where(release, target), '--create-namespace'];
  if (chart.repo) args.push('--repo', chart.repo);
  if (chart.version) args.push('--version', chart.version);
  args.push(...relativeToRoot(root, values.args), '--take-ownership');
  if (release.skipCrds) args.push('--skip-crds');
  if (release.skipSchemaValidation) args.push('--skip-schema-validation');
  args.push(helm.major === 4 ? '--rollback-on-failure' : '--atomic', waitFlag(helm, flags.wait), '--timeout', assertTimeout(flags.timeout));
  if (flags.helmDryRun) args.push(`--dry-run=${flags.helmDryRun}`);
  return invocation('helm', helm.bin, args, root, { inputs: values.inputs, inputLabels, env: target.env });
}

/** The release as helm would store it, rendered against the cluster and stored nowhere (`-o json` on stdout). */
export function serverDryRun(options: UpgradeInstallOptions): Invocation {
  const call = upgradeInstall({ ...options, flags: { ...options.flags, helmDryRun: 'server' } });
  call.args.push('-o', 'json');
  return call;
}

/** Which release on which cluster a helm command acts on, and the helm and workspace root it runs with. */
export interface ReleaseAt {
  helm: Helm;
  root: string;
  release: Release;
  target: KubeTarget;
}

export function history({ helm, root, release, target }: ReleaseAt): Invocation {
  return invocation('helm', helm.bin, ['history', release.name, ...where(release, target), '--max', '20', '-o', 'json'], root, { env: target.env });
}

export function rollback({ helm, root, release, target }: ReleaseAt, revision: number | string, flags: Pick<InstallFlags, 'wait' | 'timeout'>): Invocation {
  const args = ['rollback', release.name, String(revision), ...where(release, target), waitFlag(helm, flags.wait), '--timeout', assertTimeout(flags.timeout)];
  return invocation('helm', helm.bin, args, root, { env: target.env });
}

export function getManifest({ helm, root, release, target }: ReleaseAt): Invocation {
  return invocation('helm', helm.bin, ['get', 'manifest', release.name, ...where(release, target)], root, { env: target.env });
}

export function uninstall({ helm, root, release, target }: ReleaseAt, flags: Pick<InstallFlags, 'wait' | 'timeout'>): Invocation {
  const args = ['uninstall', release.name, ...where(release, target), waitFlag(helm, flags.wait), '--timeout', assertTimeout(flags.timeout)];
  return invocation('helm', helm.bin, args, root, { env: target.env });
}

/** One line of `helm history -o json` (same shape in Helm 3 and 4). */
export interface HistoryEntry {
  revision: number;
  status: string;
  chart: string;
  updated: string;
  description: string;
}

export function parseHistory(json: string): HistoryEntry[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    throw new HomelabError('helm history printed no JSON', 'run the printed helm history command to see why');
  }
  if (!Array.isArray(data)) throw new HomelabError('helm history printed no list', 'run the printed helm history command to see why');
  return data
    .map((entry: Record<string, unknown>) => ({
      revision: Number(entry.revision),
      status: String(entry.status ?? ''),
      chart: String(entry.chart ?? ''),
      updated: String(entry.updated ?? ''),
      description: String(entry.description ?? ''),
    }))
    .sort((a, b) => a.revision - b.revision);
}

/** helm's words for a release that does not exist (history, status, get). */
export function isReleaseNotFound(stderr: string): boolean {
  return /release: not found|release not found|has no deployed releases/i.test(stderr);
}

export interface PendingRelease {
  current: HistoryEntry;
  /** The newest revision that was deployed successfully, if any: what `--recover` rolls back to. */
  lastGood?: HistoryEntry;
}

/**
 * A release whose last revision is pending-install/-upgrade/-rollback: an earlier helm was killed mid-change
 * (Ctrl-C, lost connection, timeout without rollback). Helm refuses every upgrade until it is resolved.
 */
export function findPending(entries: HistoryEntry[]): PendingRelease | undefined {
  const current = entries.at(-1);
  if (!current || !current.status.startsWith('pending-')) return undefined;
  const lastGood = entries.filter((e) => e.revision < current.revision && (e.status === 'deployed' || e.status === 'superseded')).at(-1);
  return { current, ...(lastGood ? { lastGood } : {}) };
}

export function pendingError(release: Release, pending: PendingRelease): HomelabError {
  const { current, lastGood } = pending;
  const what = `release ${release.name} (namespace ${release.namespace}) is stuck in ${current.status} at revision ${current.revision}: an earlier helm run was interrupted, and helm refuses further changes`;
  return new HomelabError(
    what,
    lastGood
      ? `run install again with --recover to roll back to revision ${lastGood.revision} (${lastGood.chart}) and then install`
      : `it has no earlier good revision to roll back to: uninstall it (PVCs are kept) and install again`,
  );
}
