import { randomBytes } from 'node:crypto';
import { afterUninstallNotes } from '../cluster/argocd-live.ts';
import { HomelabError } from '../model/errors.ts';
import * as helmRelease from '../cluster/helm-release.ts';
import { DEFAULT_TIMEOUT, isReleaseNotFound, parseHistory, type HistoryEntry, type WaitStrategy } from '../cluster/helm-release.ts';
import { captureInvocation, errorSummary, formatInvocation, formatTail, invocation, streamInvocation, type Invocation } from '../exec/invocation.ts';
import { annotateKeepArgs, describeHolder, findStateHolders, keepInRecord, KEEP_ANNOTATION, recordLocation, type StateHolder } from '../cluster/keep-data.ts';
import { isUnreachable, kubectlArgs, unreachable, type KubeTarget } from '../cluster/kube.ts';
import { createMasker } from '../exec/mask.ts';
import { failureLine } from '../exec/process.ts';
import type { Release } from '../model/types.ts';
import { selectReleases, type Workspace } from '../resolve/workspace.ts';
import { DRY_RUN_BANNER, openTargets, releaseHeading, type ClusterRequest, type Write } from './cluster.ts';
import { renderReleases } from './template.ts';
import { isManifestSource } from '../render/index.ts';
import { deleteCall, runManifestCall, withoutStateHolders } from '../cluster/manifest-apply.ts';
import { commandOptions } from './options.ts';
import { isTier0 } from './select.ts';

export interface UninstallRequest extends ClusterRequest {
  /** Confirmed already (non-interactive use). */
  yes?: boolean;
  /** Allow tier 0 (the bootstrap chart, waves <= 0). */
  force?: boolean;
  /** Delete PVCs and other state holders with the release instead of keeping them. */
  deleteData?: boolean;
  wait?: WaitStrategy;
  timeout?: string;
  /** The chart the bootstrap installs (default `system`): always tier 0. */
  bootstrapChart?: string;
  /** Asks a yes/no question on a terminal; absent when there is none. */
  confirm?: (question: string) => Promise<boolean>;
}

/** Tier 0 is refused without --force, for a whole selection before any of it is touched. */
export function refuseTier0(releases: Release[], request: Pick<UninstallRequest, 'force' | 'bootstrapChart'>): void {
  if (request.force) return;
  for (const release of releases) {
    if (isTier0(release, request.bootstrapChart)) {
      const why = release.chart === (request.bootstrapChart ?? 'system') ? 'the bootstrap chart' : `sync wave ${release.wave}`;
      throw new HomelabError(
        `refusing to uninstall ${release.cluster}/${release.name}: it is tier 0 (${why}), everything else runs on it`,
        'pass --force if you really mean it',
      );
    }
  }
}

/**
 * `helm uninstall`, safely: refuses tier 0 without --force and unconfirmed runs without --yes, explains
 * ArgoCD-managed releases (no Helm release exists), and keeps PVCs and other state unless --delete-data.
 */
export async function uninstall(ws: Workspace, request: UninstallRequest, write: Write): Promise<Release[]> {
  const releases = selectReleases(ws, request.target, request.cluster);
  // Refusals that need no cluster come first: nothing is contacted when the answer is no.
  refuseTier0(releases, request);
  if (!request.dryRun && !request.yes && !request.confirm) {
    throw new HomelabError(`refusing to uninstall ${request.target} without confirmation: no terminal to ask on`, 'pass --yes to confirm non-interactively');
  }
  const flags = {
    wait: request.wait ?? commandOptions.uninstall.wait.default,
    timeout: helmRelease.assertTimeout(request.timeout ?? DEFAULT_TIMEOUT),
  } as const;
  const targetOf = await openTargets(ws, releases, request, write);
  if (request.dryRun) write(DRY_RUN_BANNER);
  // Helm's uninstall output holds no values; the key only seeds Secret markers.
  const masker = createMasker({ secrets: [], key: randomBytes(32) });
  const rendered = request.dryRun ? await renderReleases(ws, releases, { keyless: true }) : [];

  for (const [index, release] of releases.entries()) {
    const target = targetOf(release);
    write(releaseHeading('uninstall', release));
    if (isManifestSource(release)) {
      await deleteManifests(ws, target, release, request, write);
      continue;
    }
    const historyCall = helmRelease.history({ helm: ws.helm, root: ws.root, release, target });
    const manifestCall = helmRelease.getManifest({ helm: ws.helm, root: ws.root, release, target });
    const uninstallCall = helmRelease.uninstall({ helm: ws.helm, root: ws.root, release, target }, flags);

    if (request.dryRun) {
      const holders = findStateHolders(rendered[index].manifest, release.namespace);
      write(formatInvocation(historyCall));
      write(formatInvocation(manifestCall));
      write('# state holders as rendered from git (the real run reads them from helm get manifest):\n');
      writeDataPlan(holders, Boolean(request.deleteData), write);
      if (!request.deleteData) {
        for (const step of keepSteps(ws, target, release, holders, '<revision>')) step.calls.forEach((call) => write(formatInvocation(call)));
      }
      write(formatInvocation(uninstallCall));
      for (const note of afterUninstallNotes(release)) write(`${note}\n`);
      continue;
    }

    const latest = await latestRevision(target, historyCall, release);
    const manifest = await captureInvocation(manifestCall);
    if (manifest.exitCode !== 0)
      throw new HomelabError(`helm get manifest ${release.name} failed: ${failureLine(manifest.stderr)}`, 'run it by hand to see why');
    const holders = findStateHolders(manifest.stdout, release.namespace);
    write(`Release ${release.name}: revision ${latest.revision} (${latest.chart}, ${latest.status}) in namespace ${release.namespace}\n`);
    writeDataPlan(holders, Boolean(request.deleteData), write);
    for (const note of afterUninstallNotes(release)) write(`${note}\n`);

    if (!request.yes) {
      const question = `Uninstall helm release ${release.name} (namespace ${release.namespace}) from kube-context ${target.context} (${target.server})?`;
      if (!(await request.confirm!(question)))
        throw new HomelabError(`uninstall of ${release.name} not confirmed: nothing was changed`, 'answer y to proceed, or pass --yes');
    }
    if (!request.deleteData) {
      for (const step of keepSteps(ws, target, release, holders, latest.revision)) {
        step.calls.forEach((call) => write(formatInvocation(call)));
        await step.run();
      }
    }
    write(formatInvocation(uninstallCall));
    const result = await streamInvocation(uninstallCall, { masker, write, prefix: '  helm | ' });
    if (result.exitCode !== 0) {
      if (isUnreachable(result.stderr)) throw unreachable(target, result.stderr);
      write(formatTail('helm', result.tail));
      throw new HomelabError(
        `helm uninstall of ${release.cluster}/${release.name} failed: ${errorSummary(result.stderr)}`,
        'check what is left with helm status and kubectl, then retry',
      );
    }
  }
  return releases;
}

/**
 * A directory or Kustomize release: the objects of its render from git deleted with kubectl (there is no Helm release
 * to uninstall), those holding data left alone unless --delete-data, after the same confirmation.
 */
async function deleteManifests(ws: Workspace, target: KubeTarget, release: Release, request: UninstallRequest, write: Write): Promise<void> {
  const [rendered] = await renderReleases(ws, [release], { keyless: true });
  const { manifest: withoutData, kept } = withoutStateHolders(rendered.manifest, release.namespace);
  const manifest = request.deleteData ? rendered.manifest : withoutData;
  write(`# the objects of ${release.source?.kind} ${release.chartDir} as rendered from git:\n`);
  writeDataPlan(kept, Boolean(request.deleteData), write, 'left out of the delete');
  for (const note of afterUninstallNotes(release)) write(`${note}\n`);
  const call = deleteCall(ws.root, target, release, manifest);
  if (request.dryRun) return void write(formatInvocation(call));
  if (!request.yes) {
    const question = `Delete the objects of ${release.cluster}/${release.name} (${release.chartDir}) from kube-context ${target.context} (${target.server})?`;
    if (!(await request.confirm!(question)))
      throw new HomelabError(`uninstall of ${release.name} not confirmed: nothing was changed`, 'answer y to proceed, or pass --yes');
  }
  await runManifestCall(target, call, release, rendered.masker, write);
}

async function latestRevision(target: KubeTarget, historyCall: Invocation, release: Release): Promise<HistoryEntry> {
  const result = await captureInvocation(historyCall);
  if (result.exitCode !== 0 && isUnreachable(result.stderr)) throw unreachable(target, result.stderr);
  const latest = result.exitCode === 0 ? parseHistory(result.stdout).at(-1) : undefined;
  if (latest) return latest;
  if (result.exitCode !== 0 && !isReleaseNotFound(result.stderr)) {
    throw new HomelabError(`helm history ${release.name} failed: ${failureLine(result.stderr)}`, 'run the printed helm history command to see why');
  }
  const where = `no Helm release ${release.name} in namespace ${release.namespace} on kube-context ${target.context}`;
  if (release.application) {
    throw new HomelabError(
      `${where}: Application ${release.application} deploys it through ArgoCD, which applies the render itself and leaves no Helm release`,
      `to remove its objects, remove the Application from git (${release.definedIn.join(', ') || 'its manifest'}); nothing was changed`,
    );
  }
  throw new HomelabError(`${where}: chart ${release.chart} is not installed there`, 'nothing to uninstall; nothing was changed');
}

/** `kept`: how a kept object is kept (helm's path annotates it; kubectl's leaves it out of the delete). */
function writeDataPlan(holders: StateHolder[], deleteData: boolean, write: Write, kept = `marked ${KEEP_ANNOTATION}: keep`): void {
  if (holders.length === 0) write('No PersistentVolumeClaims, PersistentVolumes, Namespaces or CRDs in the release: no data at stake.\n');
  const atRisk = holders.filter((h) => !h.keptByChart);
  for (const holder of holders.filter((h) => h.keptByChart)) write(`Kept by the chart (${KEEP_ANNOTATION}: keep): ${describeHolder(holder)}\n`);
  if (atRisk.length === 0) return;
  if (deleteData) {
    write(`--delete-data: these are DELETED with their data: ${atRisk.map(describeHolder).join(', ')}\n`);
  } else {
    write(`Keeping (${kept}; pass --delete-data to delete them): ${atRisk.map(describeHolder).join(', ')}\n`);
  }
}

/**
 * Marks the live objects as kept, then rewrites the stored manifest of the release's last revision the same
 * way, since that is what `helm uninstall` reads. The record travels only through kubectl's stdin.
 */
function keepSteps(ws: Workspace, target: KubeTarget, release: Release, holders: StateHolder[], revision: number | string) {
  const atRisk = holders.filter((h) => !h.keptByChart);
  if (atRisk.length === 0) return [];
  const kubectl = (args: string[], extra: { inputs?: Buffer[]; inputLabels?: string[] } = {}) =>
    invocation('kubectl', target.kubectl, kubectlArgs(target, args), ws.root, { ...extra, env: target.env });
  const steps = atRisk.map((holder) => {
    const call = kubectl(annotateKeepArgs(holder));
    return { calls: [call], run: () => mustSucceed(target, call, `cannot mark ${describeHolder(holder)} as kept`) };
  });
  const location = recordLocation(release.name, revision, release.namespace);
  const read = kubectl(['get', location.kind, location.name, '--namespace', location.namespace, '-o', 'json']);
  const replace = (record: Buffer) =>
    kubectl(['replace', '--namespace', location.namespace, '-f', '-'], {
      inputs: [record],
      inputLabels: [`${location.kind} ${location.name} as read, with ${KEEP_ANNOTATION}: keep added to the objects above`],
    });
  steps.push({
    calls: [read, replace(Buffer.alloc(0))],
    run: async () => {
      const stored = await mustSucceed(target, read, `cannot read the release record ${location.kind} ${location.name}`);
      return mustSucceed(target, replace(keepInRecord(stored, location, atRisk, release.namespace)), `cannot update the release record ${location.name}`);
    },
  });
  return steps;
}

async function mustSucceed(target: KubeTarget, call: Invocation, what: string): Promise<string> {
  const result = await captureInvocation(call);
  if (result.exitCode === 0) return result.stdout;
  if (isUnreachable(result.stderr)) throw unreachable(target, result.stderr);
  throw new HomelabError(`${what}: ${failureLine(result.stderr)}`, 'nothing was uninstalled; fix the cause and retry');
}
