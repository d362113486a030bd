import { argocdNamespace, liveApplications, type LiveApplication } from '../cluster/argocd-live.ts';
import { HomelabError } from '../model/errors.ts';
import * as helmRelease from '../cluster/helm-release.ts';
import { isReleaseNotFound, parseHistory, type HistoryEntry } from '../cluster/helm-release.ts';
import { captureInvocation } from '../exec/invocation.ts';
import { isUnreachable, unreachable, type KubeTarget } from '../cluster/kube.ts';
import { failureLine } from '../exec/process.ts';
import type { Release } from '../model/types.ts';
import { selectReleases, type Workspace } from '../resolve/workspace.ts';
import { openTargets, type ClusterRequest, type Write } from './cluster.ts';

export type StatusRequest = Omit<ClusterRequest, 'dryRun'>;

export interface ReleaseStatus {
  release: Release;
  /** The last Helm revision; undefined when there is no Helm release (ArgoCD-managed or not installed). */
  helm?: HistoryEntry;
  /** undefined: ArgoCD is not installed; null: no such Application. */
  application?: LiveApplication | null;
}

/** Per release: the Helm release state and the ArgoCD Application's sync and health. Reads only. */
export async function status(ws: Workspace, request: StatusRequest, write: Write): Promise<ReleaseStatus[]> {
  const releases = selectReleases(ws, request.target, request.cluster);
  const statuses = await liveStatuses(ws, releases, await openTargets(ws, releases, request, write));
  for (const s of statuses) write(`${formatStatus(s)}\n`);
  return statuses;
}

/** The releases' state on their clusters (targets already guarded): helm history, and one Application list per cluster. */
export async function liveStatuses(ws: Workspace, releases: Release[], targetOf: (release: Release) => KubeTarget): Promise<ReleaseStatus[]> {
  const appsByCluster = new Map<string, Promise<Map<string, LiveApplication> | undefined>>();
  return Promise.all(
    releases.map(async (release): Promise<ReleaseStatus> => {
      const target = targetOf(release);
      let apps = appsByCluster.get(release.cluster);
      if (!apps) appsByCluster.set(release.cluster, (apps = liveApplications(target, argocdNamespace(ws.resolution, release.cluster))));
      const [helm, live] = await Promise.all([lastRevision(ws, target, release), apps]);
      return { release, ...(helm ? { helm } : {}), application: live === undefined ? undefined : (live.get(release.application) ?? null) };
    }),
  );
}

async function lastRevision(ws: Workspace, target: KubeTarget, release: Release): Promise<HistoryEntry | undefined> {
  const result = await captureInvocation(helmRelease.history({ helm: ws.helm, root: ws.root, release, target }));
  if (result.exitCode === 0) return parseHistory(result.stdout).at(-1);
  if (isReleaseNotFound(result.stderr)) return undefined;
  if (isUnreachable(result.stderr)) throw unreachable(target, result.stderr);
  throw new HomelabError(`helm history ${release.name} failed: ${failureLine(result.stderr)}`, 'check your permissions in the release namespace');
}

export function formatStatus(s: ReleaseStatus): string {
  const { release } = s;
  const helm = s.helm
    ? `helm ${s.helm.status} (revision ${s.helm.revision}, ${s.helm.chart})`
    : release.application
      ? 'no helm release (ArgoCD-managed)'
      : 'not installed';
  const argo = !release.application
    ? 'no Application in git'
    : s.application === undefined
      ? 'ArgoCD not installed'
      : s.application === null
        ? `Application ${release.application} not in the cluster`
        : `${release.application} ${s.application.sync}/${s.application.health}${s.application.revision ? ` @ ${s.application.revision}` : ''}${s.application.paused ? `, automated sync and self-heal PAUSED (argocd resume ${release.cluster}/${release.name})` : ''}`;
  return `${release.cluster}/${release.name}  namespace ${release.namespace}  ${helm}  argocd: ${argo}`;
}
