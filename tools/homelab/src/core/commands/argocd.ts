import { argocdNamespace, listApplications } from '../cluster/argocd-live.ts';
import {
  assertApplicationSetKeepsPause,
  initiator,
  isAutomated,
  isPaused,
  parentApplications,
  patchCall,
  pausedPolicy,
  pausePatch,
  PAUSED_ANNOTATION,
  refreshPatch,
  resumePatch,
  runPatch,
  syncPatch,
  syncPolicyOf,
  type ApplicationObject,
  type MergePatch,
} from '../cluster/argocd-control.ts';
import type { KubeTarget } from '../cluster/kube.ts';
import { formatInvocation } from '../exec/invocation.ts';
import { HomelabError } from '../model/errors.ts';
import type { Release } from '../model/types.ts';
import { selectReleases, type Workspace } from '../resolve/workspace.ts';
import { DRY_RUN_BANNER, openTargets, releaseHeading, type ClusterRequest, type Write } from './cluster.ts';

export type ArgocdAction = 'sync' | 'refresh' | 'resume';

export interface ArgocdRequest extends ClusterRequest {
  action: ArgocdAction;
  /** refresh: regenerate the manifests (ArgoCD's hard refresh) instead of comparing again. */
  hard?: boolean;
  /** sync: delete what git no longer declares, as `argocd app sync --prune`. */
  prune?: boolean;
  /** How the other commands are invoked (`hack/`, `homelab `), for the lines saying what to run next. */
  commandPrefix?: string;
}

/** Where a release's Application lives on its cluster, and the Applications there as read once (never in a dry run). */
export interface ArgocdSite {
  root: string;
  target: KubeTarget;
  namespace: string;
  releases: readonly Release[];
  dryRun?: boolean;
  apps?: Map<string, ApplicationObject>;
}

/** Stands for what only the cluster knows in a dry run's printed patch. */
const FROM_CLUSTER = '<read from the cluster>';

/** `argocd sync|refresh|resume <release>` through the Application objects: one merge patch each, printed first. */
export async function argocd(ws: Workspace, request: ArgocdRequest, write: Write): Promise<Release[]> {
  const releases = selectReleases(ws, request.target, request.cluster, request.namespace);
  releases.forEach((release) => requireApplication(release, `argocd ${request.action}`));
  const targetOf = await openTargets(ws, releases, request, write);
  if (request.dryRun) write(DRY_RUN_BANNER);
  const sites = new Map<string, ArgocdSite>();
  for (const release of releases) {
    write(releaseHeading(`argocd ${request.action}`, release));
    let site = sites.get(release.cluster);
    if (!site) sites.set(release.cluster, (site = await openSite(ws, targetOf(release), release.cluster, request.dryRun)));
    if (request.action === 'refresh') await refresh(site, release, request.hard ? 'hard' : 'normal', write);
    else if (request.action === 'sync') await sync(site, release, Boolean(request.prune), write);
    else await resume(site, release, request.commandPrefix ?? 'homelab ', write);
  }
  return releases;
}

/** A convention release (a chart no Application deploys) has nothing for ArgoCD to act on. */
export function requireApplication(release: Release, what: string): void {
  if (release.application) return;
  throw new HomelabError(
    `${what}: ${release.cluster}/${release.name} has no ArgoCD Application (no Application in git deploys chart ${release.chart}; helm owns it)`,
    `add an Application for it under clusters/${release.cluster}/, or act on it with install/uninstall only`,
  );
}

export async function openSite(ws: Workspace, target: KubeTarget, cluster: string, dryRun?: boolean): Promise<ArgocdSite> {
  const namespace = argocdNamespace(ws.resolution, cluster);
  const site: ArgocdSite = { root: ws.root, target, namespace, releases: ws.resolution.releases, dryRun };
  if (dryRun) return site;
  const items = await listApplications(target, namespace);
  if (!items) {
    throw new HomelabError(
      `ArgoCD is not installed on cluster ${cluster} (no applications.argoproj.io)`,
      'bootstrap it first (bootstrap), or act on the release with install',
    );
  }
  site.apps = new Map(items.map((item) => [String((item.metadata as Record<string, unknown>).name), item]));
  return site;
}

function liveApp(site: ArgocdSite, release: Release): ApplicationObject {
  const app = site.apps?.get(release.application);
  if (app) return app;
  throw new HomelabError(
    `Application ${release.application} (${release.cluster}/${release.name}) is not in namespace ${site.namespace} of cluster ${release.cluster}`,
    'ArgoCD creates it when its parent syncs: check the root Application with status',
  );
}

async function patch(site: ArgocdSite, name: string, body: MergePatch, write: Write): Promise<void> {
  const call = patchCall(site.root, site.target, site.namespace, name, body);
  write(formatInvocation(call));
  if (!site.dryRun) await runPatch(call, site.target, name);
}

async function refresh(site: ArgocdSite, release: Release, kind: 'normal' | 'hard', write: Write): Promise<void> {
  if (!site.dryRun) liveApp(site, release);
  await patch(site, release.application, refreshPatch(kind), write);
  write(`ArgoCD refreshes ${release.application} (${kind}) within seconds and removes the annotation when done.\n`);
}

async function sync(site: ArgocdSite, release: Release, prune: boolean, write: Write): Promise<void> {
  if (site.dryRun) {
    const sample = { metadata: { resourceVersion: FROM_CLUSTER }, spec: { syncPolicy: { syncOptions: [FROM_CLUSTER], retry: FROM_CLUSTER } } };
    return patch(site, release.application, syncPatch(sample, { prune }), write);
  }
  const app = liveApp(site, release);
  if (app.operation !== undefined) {
    throw new HomelabError(
      `Application ${release.application}: another operation is already in progress`,
      'wait for it to finish (status shows the sync state), or terminate it in ArgoCD',
    );
  }
  await patch(site, release.application, syncPatch(app, { prune }), write);
  write(`ArgoCD syncs ${release.application} now, started by ${initiator()}: follow it with status.\n`);
}

/**
 * Turns automated sync off for the release's Application and for every parent that would put it back (an automated
 * app-of-apps re-applies the child Application from git), outermost first so no parent undoes an inner pause.
 * A pause already in place is kept as it is: pausing twice must not save the paused policy over the original.
 * Returns whether the Application is paused now (false: it never synced automatically, there was nothing to pause).
 */
export async function pauseSync(site: ArgocdSite, release: Release, commandPrefix: string, write: Write): Promise<boolean> {
  await assertApplicationSetKeepsPause(site.root, release);
  if (!site.dryRun) {
    const app = liveApp(site, release);
    if (!pausedPolicy(app) && !isAutomated(syncPolicyOf(app))) {
      write(`Application ${release.application} has no automated sync: nothing to pause, ArgoCD will not revert the install.\n`);
      return false;
    }
  }
  for (const member of [...parentApplications(release, site.releases).reverse(), release]) {
    if (site.dryRun) {
      if (member !== release && !member.syncPolicy.automated) continue;
      const sample = { metadata: { resourceVersion: FROM_CLUSTER } };
      await patch(site, member.application, pausePatch(sample, '<its spec.syncPolicy as JSON, read from the cluster>'), write);
      continue;
    }
    const app = site.apps?.get(member.application);
    const why = member === release ? '' : ` (it syncs ${release.application}'s manifest)`;
    if (!app || (member !== release && !isAutomated(syncPolicyOf(app)) && !pausedPolicy(app))) continue;
    if (pausedPolicy(app)) write(`Application ${member.application}: automated sync already paused${why}\n`);
    else await patch(site, member.application, pausePatch(app), write);
  }
  write(
    `Automated sync and self-heal of ${release.application} are paused: ArgoCD leaves the install alone. Resume with: ${commandPrefix}argocd resume ${release.cluster}/${release.name}\n`,
  );
  return true;
}

/**
 * Puts back the syncPolicy the pause saved, then resumes the parents paused with it, nearest first, each only when
 * none of its other children is still paused (resuming a parent re-applies them all from git).
 */
async function resume(site: ArgocdSite, release: Release, commandPrefix: string, write: Write): Promise<void> {
  if (site.dryRun) {
    const sample = { metadata: { resourceVersion: FROM_CLUSTER }, spec: { syncPolicy: {} } };
    await patch(site, release.application, { ...resumePatch(sample, {}), spec: { syncPolicy: `<the syncPolicy saved in ${PAUSED_ANNOTATION}>` } }, write);
    write('# then each parent Application paused with it, once none of its other children is paused\n');
    return;
  }
  const app = liveApp(site, release);
  const paused = pausedPolicy(app);
  if (!paused) {
    write(`Application ${release.application} is not paused (no ${PAUSED_ANNOTATION} annotation): nothing to resume.\n`);
    return;
  }
  await patch(site, release.application, resumePatch(app, paused.saved), write);
  for (const parent of parentApplications(release, site.releases)) {
    const parentApp = site.apps?.get(parent.application);
    const saved = parentApp && pausedPolicy(parentApp);
    if (!parentApp || !saved) continue;
    const waiting = site.releases
      .filter((r) => r !== release && r.application && parentApplications(r, site.releases).includes(parent))
      .filter((r) => {
        const child = site.apps?.get(r.application);
        return child !== undefined && isPaused(child);
      })
      .map((r) => `${r.cluster}/${r.name}`);
    if (waiting.length > 0) {
      write(`Application ${parent.application} stays paused: ${waiting.join(', ')} still paused (${commandPrefix}argocd resume them first).\n`);
      return;
    }
    await patch(site, parent.application, resumePatch(parentApp, saved.saved), write);
  }
  write(`Automated sync of ${release.application} is back as it was before the pause.\n`);
}
