// One release's status as data (`status -o json|yaml`): fixed keys, whatever the in-memory shapes become.
import type { ReleaseStatus } from './status.ts';
import { tierOf } from './select.ts';

/** Null where there is nothing: no Helm release, no Application in git. */
export function statusRecord(s: ReleaseStatus) {
  const { release, application } = s;
  return {
    cluster: release.cluster,
    release: release.name,
    namespace: release.namespace,
    chart: release.chart,
    wave: release.wave,
    tier: tierOf(release),
    helm: s.helm ? { status: s.helm.status, revision: s.helm.revision, chart: s.helm.chart, updated: s.helm.updated } : null,
    argocd: release.application
      ? {
          application: release.application,
          state: application === undefined ? 'argocd-not-installed' : application === null ? 'not-in-cluster' : 'present',
          sync: application?.sync ?? null,
          health: application?.health ?? null,
          revision: application?.revision || null,
          paused: application?.paused ?? null,
        }
      : null,
  };
}
