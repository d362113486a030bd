import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterInstallNotes } from '../cluster/argocd-live.ts';
import { HomelabError } from '../model/errors.ts';
import * as helmRelease from '../cluster/helm-release.ts';
import {
  DEFAULT_TIMEOUT,
  findPending,
  isReleaseNotFound,
  parseHistory,
  pendingError,
  type ChartRef,
  type HistoryEntry,
  type InstallFlags,
} from '../cluster/helm-release.ts';
import { captureInvocation, errorSummary, formatInvocation, formatTail, streamInvocation } from '../exec/invocation.ts';
import { createGuard, isUnreachable, unreachable, type KubeTarget } from '../cluster/kube.ts';
import { createMasker, type Masker } from '../exec/mask.ts';
import { failureLine } from '../exec/process.ts';
import { buildDependencies, chartArgument } from '../helm/render.ts';
import type { Release } from '../model/types.ts';
import { buildHelmValues, type HelmValues } from '../helm/values.ts';
import type { ValueOverlay } from '../helm/commands.ts';
import { selectReleases, type Workspace } from '../resolve/workspace.ts';
import { isManifestSource, renderAnyRelease } from '../render/index.ts';
import { applyCall, runManifestCall } from '../cluster/manifest-apply.ts';
import { openSecrets, type OpenedSecrets } from '../secrets/index.ts';
import { chartAt } from '../model/lookup.ts';
import { DRY_RUN_BANNER, openTargets, releaseHeading, type ClusterRequest, type Write } from './cluster.ts';
import { commandOptions } from './options.ts';
import { openSite, pauseSync, requireApplication, type ArgocdSite } from './argocd.ts';

export interface InstallRequest extends ClusterRequest, Partial<InstallFlags> {
  /** A release stuck in pending-*: roll back to its last good revision first, then install. */
  recover?: boolean;
  /** Nx already ran the helm-deps target. */
  skipDependencyBuild?: boolean;
  /** Aborted (Ctrl-C): no further release is started. */
  abort?: AbortSignal;
  /** The user's own values after the Application's (hack --set/-f): not what ArgoCD deploys. */
  overlay?: ValueOverlay;
  /** Turn the Application's automated sync (and self-heal) off before installing, so ArgoCD leaves the install alone. */
  pauseSync?: boolean;
  /** How the other commands are invoked (`hack/`, `homelab `), for the line saying how to resume. */
  commandPrefix?: string;
}

/** One `helm upgrade --install`, prepared: values decrypted in memory, masker ready. */
export interface HelmChange {
  release: Release;
  chart: ChartRef;
  values: HelmValues;
  labels: string[];
  masker: Masker;
  /** The user's own values after the Application's (hack --set/-f). */
  overlay?: ValueOverlay;
}

export async function prepareChange(root: string, release: Release, chart: ChartRef, secrets: OpenedSecrets): Promise<HelmChange> {
  // Value files inside an upstream chart are read from the fetched chart `chart.chart` points at.
  const values = await buildHelmValues(root, release, secrets.secrets, undefined, release.source?.kind === 'upstream' ? chart.chart : undefined);
  const labels = helmRelease.valueInputLabels(release, values, (file) => existsSync(path.resolve(root, file)));
  return { release, chart, values, labels, masker: createMasker({ secrets: values.secrets, key: secrets.maskKey }) };
}

export function installFlags(request: Partial<InstallFlags>): InstallFlags {
  return {
    wait: request.wait ?? commandOptions.install.wait.default,
    timeout: helmRelease.assertTimeout(request.timeout ?? DEFAULT_TIMEOUT),
    ...(request.helmDryRun ? { helmDryRun: request.helmDryRun } : {}),
  };
}

/**
 * `helm upgrade --install` of the releases exactly as ArgoCD would deploy them, each after the context
 * guard and a pending-release check. The shared body of the Nx target and hack/install.
 */
export async function install(ws: Workspace, request: InstallRequest, write: Write): Promise<Release[]> {
  const releases = selectReleases(ws, request.target, request.cluster, request.namespace);
  if (request.pauseSync && request.helmDryRun) {
    throw new HomelabError(
      "--pause-sync with --helm-dry-run: helm's dry run changes nothing, the pause would change the Applications",
      'preview both with --dry-run, or drop --pause-sync',
    );
  }
  if (request.pauseSync) releases.forEach((release) => requireApplication(release, 'install --pause-sync'));
  const targetOf = await openTargets(ws, releases, request, write);
  const flags = installFlags(request);
  if (request.dryRun) write(DRY_RUN_BANNER);
  if (!request.skipDependencyBuild) {
    for (const dir of new Set(releases.map((r) => r.chartDir))) {
      const chart = chartAt(ws.resolution.charts, dir);
      if (chart) await buildDependencies(ws.root, ws.helm, chart);
    }
  }
  // A dry run shows the same argv with placeholder pipes: it needs no age key.
  const secrets = await openSecrets(ws.root, { keyless: Boolean(request.dryRun) });
  const sites = new Map<string, ArgocdSite>();
  for (const release of releases) {
    request.abort?.throwIfAborted();
    write(releaseHeading('install', release));
    let paused = false;
    if (request.pauseSync) {
      let site = sites.get(release.cluster);
      if (!site) sites.set(release.cluster, (site = await openSite(ws, targetOf(release), release.cluster, request.dryRun)));
      paused = await pauseSync(site, release, request.commandPrefix ?? 'homelab ', write);
    }
    if (isManifestSource(release)) {
      await applyManifests(ws, targetOf(release), release, { ...secrets, overlay: request.overlay }, request.dryRun, write);
    } else {
      const prepared = await prepareChange(ws.root, release, { chart: await chartArgument(ws.root, ws.helm, release) }, secrets);
      const change = { ...prepared, overlay: request.overlay };
      await applyChange(ws, targetOf(release), change, { ...flags, recover: request.recover, dryRun: request.dryRun }, write);
    }
    // helm's own dry run changed nothing, and a paused Application has nothing to react with.
    if (!request.helmDryRun && !paused) for (const note of afterInstallNotes(release)) write(`${note}\n`);
  }
  return releases;
}

/** A directory or Kustomize release: its render, applied server-side (no Helm release exists for it). */
async function applyManifests(
  ws: Workspace,
  target: KubeTarget,
  release: Release,
  secrets: OpenedSecrets & { overlay?: ValueOverlay },
  dryRun: boolean | undefined,
  write: Write,
) {
  const { manifest, masker } = await renderAnyRelease({ root: ws.root, helm: ws.helm, ...secrets }, release);
  const call = applyCall(ws.root, target, release, manifest);
  if (dryRun) write(formatInvocation(call));
  else await runManifestCall(target, call, release, masker, write);
}

/** helm upgrade --install of a prepared change on a target: the upgrade itself and its server-side dry run. */
export function upgradeOptions(ws: Workspace, target: KubeTarget, change: HelmChange, flags: InstallFlags): helmRelease.UpgradeInstallOptions {
  const { release, chart, values, overlay, labels } = change;
  return { helm: ws.helm, root: ws.root, release, chart, target, values, overlay, inputLabels: labels, flags };
}

/** The pending check, the optional recovery, then the upgrade with live masked output. */
export async function applyChange(
  ws: Workspace,
  target: KubeTarget,
  change: HelmChange,
  options: InstallFlags & { recover?: boolean; dryRun?: boolean },
  write: Write,
): Promise<void> {
  const { release, masker } = change;
  const history = helmRelease.history({ helm: ws.helm, root: ws.root, release, target });
  const upgrade = helmRelease.upgradeInstall(upgradeOptions(ws, target, change, options));
  if (options.dryRun) {
    write(formatInvocation(history));
    if (options.recover) {
      write('# only when the release is stuck in pending-*: roll back to its last deployed revision\n');
      write(formatInvocation(helmRelease.rollback({ helm: ws.helm, root: ws.root, release, target }, '<last-good-revision>', options)));
    }
    write(formatInvocation(upgrade));
    return;
  }
  const pending = await readPending(target, history, release);
  if (pending) {
    if (!options.recover || !pending.lastGood) throw pendingError(release, pending);
    write(
      `Recovering ${release.name}: ${pending.current.status} at revision ${pending.current.revision}, rolling back to revision ${pending.lastGood.revision}\n`,
    );
    const back = helmRelease.rollback({ helm: ws.helm, root: ws.root, release, target }, pending.lastGood.revision, options);
    write(formatInvocation(back));
    const result = await streamInvocation(back, { masker, write, prefix: '  helm | ' });
    if (result.exitCode !== 0) {
      write(formatTail('helm', result.tail));
      throw new HomelabError(
        `helm rollback of ${release.name} failed: ${masker.mask(errorSummary(result.stderr))}`,
        'inspect it with helm history, then retry --recover',
      );
    }
  }
  write(formatInvocation(upgrade));
  const result = await streamInvocation(upgrade, { masker, write, prefix: '  helm | ' });
  if (result.exitCode !== 0) {
    if (isUnreachable(result.stderr)) throw unreachable(target, result.stderr);
    write(formatTail('helm', result.tail));
    const undo = ws.helm.major === 4 ? '--rollback-on-failure' : '--atomic';
    throw new HomelabError(
      `helm upgrade --install of ${release.cluster}/${release.name} failed: ${masker.mask(errorSummary(result.stderr))}`,
      `helm undid the change (${undo}); fix the cause shown above and install again`,
    );
  }
}

/**
 * The deployed revision when installing again would change nothing: the release is deployed, and helm's
 * server-side dry run renders exactly the stored manifest of the same chart version. The bootstrap uses
 * it to stay idempotent (no new revision on a second run).
 */
export async function upToDate(ws: Workspace, target: KubeTarget, change: HelmChange, flags: InstallFlags): Promise<HistoryEntry | undefined> {
  const { release } = change;
  const history = await captureInvocation(helmRelease.history({ helm: ws.helm, root: ws.root, release, target }));
  if (history.exitCode !== 0) return undefined;
  const current = parseHistory(history.stdout).at(-1);
  if (current?.status !== 'deployed') return undefined;
  const [dry, live] = await Promise.all([
    captureInvocation(helmRelease.serverDryRun(upgradeOptions(ws, target, change, flags))),
    captureInvocation(helmRelease.getManifest({ helm: ws.helm, root: ws.root, release, target })),
  ]);
  if (dry.exitCode !== 0 || live.exitCode !== 0) return undefined;
  const rendered = JSON.parse(dry.stdout) as { manifest?: string; chart?: { metadata?: { name?: string; version?: string } } };
  const chart = `${rendered.chart?.metadata?.name}-${rendered.chart?.metadata?.version}`;
  return chart === current.chart && rendered.manifest?.trimEnd() === live.stdout.trimEnd() ? current : undefined;
}

/**
 * What helm left each release in, for the line after an interrupted install: `home/monitoring deployed at
 * revision 3`, `home/demo not installed`, or why it could not be read.
 */
export async function releaseStates(ws: Workspace, request: ClusterRequest): Promise<string> {
  const releases = selectReleases(ws, request.target, request.cluster, request.namespace);
  const guard = createGuard(ws.resolution.clusters, request);
  const states: string[] = [];
  for (const release of releases) {
    const name = `${release.cluster}/${release.name}`;
    const result = await captureInvocation(helmRelease.history({ helm: ws.helm, root: ws.root, release, target: await guard(release.cluster) }));
    const current = result.exitCode === 0 ? parseHistory(result.stdout).at(-1) : undefined;
    if (current) states.push(`${name} ${current.status} at revision ${current.revision}`);
    else if (isReleaseNotFound(result.stderr)) states.push(`${name} not installed`);
    else states.push(`${name} unknown (helm history: ${failureLine(result.stderr)})`);
  }
  return states.join(', ');
}

async function readPending(target: KubeTarget, history: ReturnType<typeof helmRelease.history>, release: Release) {
  const result = await captureInvocation(history);
  if (result.exitCode === 0) return findPending(parseHistory(result.stdout));
  if (isReleaseNotFound(result.stderr)) return undefined;
  if (isUnreachable(result.stderr)) throw unreachable(target, result.stderr);
  throw new HomelabError(`helm history ${release.name} failed: ${failureLine(result.stderr)}`, 'run the printed helm history command to see why');
}
