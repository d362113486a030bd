import { HomelabError } from '../model/errors.ts';
import { runKubectl, unreachable, isUnreachable, type KubeTarget } from './kube.ts';
import { failureLine } from '../exec/process.ts';
import type { Resolution } from '../resolve/releases.ts';
import type { Release } from '../model/types.ts';
import { isRecord } from '../workspace/yaml-docs.ts';
import { chartName } from '../helm/chart-fetch.ts';
import { isPaused, type ApplicationObject } from './argocd-control.ts';

/** What ArgoCD reports for one Application in the cluster. */
export interface LiveApplication {
  name: string;
  sync: string;
  health: string;
  /** Git revision of the last sync, when known. */
  revision: string;
  /** Automated sync turned off by a homelab pause (`argocd resume` restores it). */
  paused: boolean;
}

/** ArgoCD's namespace: the destination of the Application deploying the argo-cd chart, else `argocd`. */
export function argocdNamespace(resolution: Resolution, cluster: string): string {
  return resolution.releases.find((r) => r.cluster === cluster && r.source?.kind === 'upstream' && chartName(r.source) === 'argo-cd')?.namespace ?? 'argocd';
}

/** `kubectl get applications.argoproj.io`: the Application objects; undefined when ArgoCD (its CRD) is not installed. */
export async function listApplications(target: KubeTarget, namespace: string): Promise<ApplicationObject[] | undefined> {
  const result = await runKubectl(target, ['get', 'applications.argoproj.io', '--namespace', namespace, '-o', 'json'], { timeoutMs: 60_000 });
  if (result.exitCode !== 0) {
    if (/the server doesn't have a resource type|no matches for kind|could not find the requested resource/i.test(result.stderr)) return undefined;
    if (isUnreachable(result.stderr)) throw unreachable(target, result.stderr);
    throw new HomelabError(
      `cannot list ArgoCD Applications in ${namespace}: ${failureLine(result.stderr)}`,
      'check your permissions on applications.argoproj.io',
    );
  }
  const list: unknown = JSON.parse(result.stdout);
  return (isRecord(list) && Array.isArray(list.items) ? list.items : []).filter(
    (item): item is ApplicationObject => isRecord(item) && isRecord(item.metadata) && typeof item.metadata.name === 'string',
  );
}

/** ArgoCD's view of every Application in its namespace, by name; undefined when ArgoCD is not installed. */
export async function liveApplications(target: KubeTarget, namespace: string): Promise<Map<string, LiveApplication> | undefined> {
  const items = await listApplications(target, namespace);
  if (!items) return undefined;
  const apps = new Map<string, LiveApplication>();
  for (const item of items) {
    const name = String((item.metadata as Record<string, unknown>).name);
    const status = isRecord(item.status) ? item.status : {};
    const sync = isRecord(status.sync) ? status.sync : {};
    const health = isRecord(status.health) ? status.health : {};
    apps.set(name, {
      name,
      sync: typeof sync.status === 'string' ? sync.status : 'Unknown',
      health: typeof health.status === 'string' ? health.status : 'Unknown',
      revision: typeof sync.revision === 'string' ? sync.revision.slice(0, 8) : '',
      paused: isPaused(item),
    });
  }
  return apps;
}

function definedIn(release: Release): string {
  return release.definedIn.join(', ') || 'git';
}

/** What happens in ArgoCD after an escape-hatch install of this release. */
export function afterInstallNotes(release: Release): string[] {
  if (!release.application) {
    return [`No ArgoCD Application deploys ${release.chart}: nothing reconciles this release, helm owns it.`];
  }
  const notes = [
    `ArgoCD Application ${release.application} will show OutOfSync until git matches what was installed: commit and push the change (${definedIn(release)}).`,
  ];
  if (release.syncPolicy.automated && release.syncPolicy.selfHeal) {
    notes.push(
      `WARNING: Application ${release.application} syncs automatically with selfHeal: ArgoCD will revert this install to git within minutes. Push the change to git to keep it.`,
    );
  } else if (release.syncPolicy.automated) {
    notes.push(`Application ${release.application} syncs automatically: the next change in git replaces this install with git's version.`);
  }
  return notes;
}

/** What ArgoCD does after the release is uninstalled behind its back. */
export function afterUninstallNotes(release: Release): string[] {
  if (!release.application) return [];
  if (release.syncPolicy.automated) {
    return [
      `WARNING: Application ${release.application} syncs automatically: ArgoCD will recreate what was uninstalled at its next sync. Remove it from git (${definedIn(release)}) to keep it gone.`,
    ];
  }
  return [`Application ${release.application} will show the objects as Missing (OutOfSync) until git changes or someone syncs it.`];
}
