import { createGuard, describeTarget, probeCluster, type GuardOptions, type KubeTarget } from '../cluster/kube.ts';
import { HomelabError } from '../model/errors.ts';
import type { Release } from '../model/types.ts';
import type { Workspace } from '../resolve/workspace.ts';

/** What every cluster command takes, besides its own options. */
export interface ClusterRequest extends GuardOptions {
  /** Chart name, release name or `<cluster>/<release>`. */
  target: string;
  cluster?: string;
  /** Only the releases deploying to this namespace (it must be one of theirs: the Application decides it). */
  namespace?: string;
}

export type Write = (text: string) => void;

export const DRY_RUN_BANNER = '# dry run: the commands below are printed, not run; no cluster is contacted\n';

/**
 * Guards the cluster the releases belong to before anything happens, prints where it acts, and probes
 * reachability unless dry. Releases of several environments are refused: each environment is acted on alone,
 * named by --cluster (Nx: the environment's configuration), so one command never reaches two clusters.
 */
export async function openTargets(ws: Workspace, releases: Release[], request: ClusterRequest, write: Write): Promise<(release: Release) => KubeTarget> {
  const clusters = [...new Set(releases.map((r) => r.cluster))];
  if (clusters.length > 1) {
    throw new HomelabError(
      `${request.target || 'these releases'} ${request.target ? 'is' : 'are'} deployed to several clusters (${clusters.join(', ')}): one command acts on one`,
      `pass --cluster ${clusters[0]} (Nx: the :${clusters[0]} configuration, e.g. nx run-many -t install -c ${clusters[0]})`,
    );
  }
  const guard = createGuard(ws.resolution.clusters, request);
  const targets = new Map<string, KubeTarget>();
  for (const cluster of clusters) targets.set(cluster, await guard(cluster));
  for (const target of targets.values()) {
    write(describeTarget(target));
    if (!request.dryRun) await probeCluster(target);
  }
  return (release) => targets.get(release.cluster)!;
}

/** Separates releases in the output. */
export function releaseHeading(action: string, release: Release): string {
  return `# ${action} ${release.cluster}/${release.name} (namespace ${release.namespace}, chart ${release.chartDir}, wave ${release.wave})\n`;
}
