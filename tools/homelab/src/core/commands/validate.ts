import { declaredCrds } from '../workspace/crds.ts';
import { HomelabError } from '../model/errors.ts';
import { validateManifests, type Finding } from '../validate/index.ts';
import { notDeployedLine, selectReleases, type Workspace } from '../resolve/workspace.ts';
import { renderReleases } from './template.ts';
import { clusterNamed } from '../model/lookup.ts';

export interface ValidateRequest {
  /** Chart name, release name or `<cluster>/<release>`. */
  target: string;
  cluster?: string;
  /** Nx already ran the helm-deps target. */
  skipDependencyBuild?: boolean;
}

/** `home/arr Deployment/arr/sonarr spec.replicas: must be integer, got string "two"` */
export function findingText(finding: Finding): string {
  const where = [finding.release, finding.resource, finding.path].filter(Boolean).join(' ');
  return `${finding.severity === 'warning' ? 'warning: ' : ''}${where}: ${finding.message}`;
}

/**
 * Renders every release of the target keyless and validates each document offline against the Kubernetes
 * version its cluster declares (cluster.yaml `kubeVersion`; an Application's helm.kubeVersion only changes what
 * helm renders, not what the API server accepts), with the CRDs the repository declares (crds.ts). Prints one
 * line per finding; throws when any is an error.
 */
export async function validate(ws: Workspace, request: ValidateRequest, write: (text: string) => void): Promise<Finding[]> {
  const releases = selectReleases(ws, request.target, request.cluster);
  if (releases.length === 0) write(notDeployedLine(ws, request.target, 'validate', request.cluster));
  const crdsByCluster = new Map<string, Promise<string[]>>();
  const kubeVersions = releases.map((release) => {
    const cluster = clusterNamed(ws.resolution.clusters, release.cluster);
    const kubeVersion = cluster?.kubeVersion ?? release.kubeVersion;
    if (!kubeVersion) {
      throw new HomelabError(
        `cluster ${release.cluster} declares no kubeVersion, so release ${release.name} cannot be validated`,
        `add kubeVersion: "1.33.0" (the version the cluster runs) to ${cluster?.dir ?? `clusters/${release.cluster}`}/cluster.yaml`,
      );
    }
    if (cluster && !crdsByCluster.has(cluster.name)) crdsByCluster.set(cluster.name, declaredCrds(ws.root, ws.resolution.charts, cluster));
    return kubeVersion;
  });
  const rendered = await renderReleases(ws, releases, { keyless: true, skipDependencyBuild: request.skipDependencyBuild });
  const all: Finding[] = [];
  for (const [i, r] of rendered.entries()) {
    const label = `${r.release.cluster}/${r.release.name}`;
    const crds = (await crdsByCluster.get(r.release.cluster)) ?? [];
    const findings = validateManifests(r.manifest, { release: label, kubeVersion: kubeVersions[i], crds });
    for (const finding of findings) write(`${r.masker.mask(findingText(finding))}\n`);
    const errors = findings.filter((f) => f.severity === 'error').length;
    if (errors === 0)
      write(
        `${label}: valid for Kubernetes ${kubeVersions[i]}${findings.length > 0 ? ` (${findings.length} warning${findings.length === 1 ? '' : 's'})` : ''}\n`,
      );
    all.push(...findings);
  }
  const errors = all.filter((f) => f.severity === 'error').length;
  if (errors > 0) {
    throw new HomelabError(
      `validate found ${errors} error${errors === 1 ? '' : 's'} in ${request.target}`,
      "fix the fields named above (release resource path); an unknown kind needs its CustomResourceDefinition in a chart's crds/ or in clusters/<cluster>/crds/",
    );
  }
  return all;
}
