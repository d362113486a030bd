/**
 * Releases on a cluster: which helm command runs where, with what it reads on its pipes, and what helm's answers
 * mean (history, pending releases). helm runs at the workspace root; its argv comes from helm/commands.ts.
 */
import { HomelabError } from '../model/errors.ts';
import type { Helm } from '../helm/helm.ts';
import { invocation, relativeToRoot, type Invocation } from '../exec/invocation.ts';
import type { KubeTarget } from './kube.ts';
import type { KubeScope } from '../model/kube-scope.ts';
import type { Release } from '../model/types.ts';
import type { HelmValues } from '../helm/values.ts';
import {
  getManifestArgs,
  historyArgs,
  rollbackArgs,
  serverDryRunArgs,
  uninstallArgs,
  upgradeInstallArgs,
  type ChartRef,
  type InstallFlags,
  type UpgradeInstallArgsOptions,
  type ValueOverlay,
  type WaitFlags,
} from '../helm/commands.ts';

/** The flags of the cluster commands are declared with the argv they become. */
export { assertTimeout, DEFAULT_TIMEOUT, type ChartRef, type InstallFlags, type WaitStrategy } from '../helm/commands.ts';

/** Where a release lives on the guarded cluster. */
function kubeScope(release: Release, target: KubeTarget): KubeScope {
  return { context: target.context, namespace: release.namespace };
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
  /** The user's own values after the Application's (hack --set/-f). */
  overlay?: ValueOverlay;
  /** What each value input pipe carries, for the printed invocation (valueInputLabels). */
  inputLabels: string[];
  flags: InstallFlags;
}

/** A change of a release (upgrade --install, server dry run) as an invocation run from the workspace root. */
function helmChange(options: UpgradeInstallOptions, args: (argv: UpgradeInstallArgsOptions) => string[]): Invocation {
  const { helm, root, release, chart, target, values, overlay, inputLabels, flags } = options;
  if (helm.major === 3 && Number(/^v3\.(\d+)\./.exec(helm.version)?.[1]) < 17) {
    throw new HomelabError(
      `helm ${helm.version} cannot adopt what ArgoCD applied (--take-ownership needs Helm 3.17 or later)`,
      'upgrade helm, or set HELM_BIN to Helm 3.17+ or Helm 4',
    );
  }
  const argv = args({
    major: helm.major,
    release,
    kube: kubeScope(release, target),
    chart,
    values: { ...values, args: relativeToRoot(root, values.args) },
    overlay,
    flags,
  });
  return invocation('helm', helm.bin, argv, root, { inputs: values.inputs, inputLabels, env: target.env });
}

/** `helm upgrade --install` of a release exactly as resolved (helm/commands.ts upgradeInstallArgs). */
export function upgradeInstall(options: UpgradeInstallOptions): Invocation {
  return helmChange(options, upgradeInstallArgs);
}

/** The release as helm would store it, rendered against the cluster and stored nowhere (`-o json` on stdout). */
export function serverDryRun(options: UpgradeInstallOptions): Invocation {
  return helmChange(options, serverDryRunArgs);
}

/** Which release on which cluster a helm command acts on, and the helm and workspace root it runs with. */
export interface ReleaseAt {
  helm: Helm;
  root: string;
  release: Release;
  target: KubeTarget;
}

function atCluster({ helm, root, target }: ReleaseAt, args: string[]): Invocation {
  return invocation('helm', helm.bin, args, root, { env: target.env });
}

export function history(at: ReleaseAt): Invocation {
  return atCluster(at, historyArgs({ release: at.release, kube: kubeScope(at.release, at.target) }));
}

export function rollback(at: ReleaseAt, revision: number | string, flags: WaitFlags): Invocation {
  return atCluster(at, rollbackArgs({ release: at.release, kube: kubeScope(at.release, at.target), major: at.helm.major, flags, revision }));
}

export function getManifest(at: ReleaseAt): Invocation {
  return atCluster(at, getManifestArgs({ release: at.release, kube: kubeScope(at.release, at.target) }));
}

export function uninstall(at: ReleaseAt, flags: WaitFlags): Invocation {
  return atCluster(at, uninstallArgs({ release: at.release, kube: kubeScope(at.release, at.target), major: at.helm.major, flags }));
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
