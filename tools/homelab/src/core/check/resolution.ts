import { CLUSTER_FILE } from '../workspace/clusters.ts';
import { HomelabError } from '../model/errors.ts';
import { resolveHelm } from '../helm/helm.ts';
import type { WorkspaceLayout } from '../workspace/layout.ts';
import { resolveReleases, type RenderChart, type Resolution } from '../resolve/releases.ts';
import { renderAppOfApps } from '../helm/render.ts';
import { RepoFiles } from '../workspace/repo-files.ts';
import type { Chart, ClusterDeclaration } from '../model/types.ts';
import { isRecord, parseYamlDocuments } from '../workspace/yaml-docs.ts';
import { expandApplicationSet } from '../resolve/argocd/applicationset.ts';
import { argoObjects, clusterManifestFiles, type ArgoObject } from '../resolve/argocd/manifests.ts';
import { requireCluster } from '../model/lookup.ts';

/** An Application as written (or generated), with where it came from: what the rules read beyond the Release. */
export interface ApplicationDoc {
  cluster: ClusterDeclaration;
  /** Manifest file (an ApplicationSet's file for generated ones; a rendered chart's label for app-of-apps children). */
  file: string;
  name: string;
  doc: Record<string, unknown>;
}

/** What `check` knows about the workspace, however broken it is. */
export interface CheckedResolution {
  charts: Chart[];
  clusters: ClusterDeclaration[];
  /** The resolver's releases: those of every object that resolved. */
  resolution: Resolution;
  /** One per resolver finding. */
  errors: HomelabError[];
  applications: ApplicationDoc[];
  applicationSets: { cluster: ClusterDeclaration; file: string; doc: Record<string, unknown> }[];
}

/**
 * Runs the resolver (which isolates each broken object as a finding) and keeps what the rules read beyond the
 * releases: every Application as written and every app-of-apps render on the way. Each finding is one error.
 */
export async function resolveForCheck(layout: WorkspaceLayout): Promise<CheckedResolution> {
  const files = new RepoFiles(layout.root);
  const rendered: { cluster: string; label: string; yaml: string }[] = [];
  const renderChart: RenderChart = async (_dir, _name, _namespace, _files, release) => {
    const yaml = await renderAppOfApps(layout.root, await resolveHelm(), release);
    rendered.push({ cluster: release.cluster, label: `${release.chartDir} (rendered for Application ${release.application})`, yaml });
    return yaml;
  };
  const resolution = await resolveReleases(layout, { renderChart, files });
  const errors = resolution.findings.map((f) => new HomelabError(f.message, f.hint));
  const manifests: { cluster: ClusterDeclaration; file: string }[] = [];
  for (const cluster of resolution.clusters) {
    for (const file of await clusterManifestFiles(cluster.dir, files, CLUSTER_FILE)) manifests.push({ cluster, file });
  }
  const renders = rendered.map((r) => ({ ...r, cluster: requireCluster(resolution.clusters, r.cluster) }));
  const { applications, applicationSets } = await readApplications(manifests, files, renders);
  return { charts: resolution.charts, clusters: resolution.clusters, resolution, errors, applications, applicationSets };
}

/**
 * Every Application as written: plain ones, those ApplicationSets generate, and the children app-of-apps charts
 * rendered while resolving. Files or ApplicationSets that do not parse or expand are skipped: the resolver
 * already reported them.
 */
async function readApplications(
  manifests: { cluster: ClusterDeclaration; file: string }[],
  files: RepoFiles,
  rendered: { cluster: ClusterDeclaration; label: string; yaml: string }[],
): Promise<Pick<CheckedResolution, 'applications' | 'applicationSets'>> {
  const applications: ApplicationDoc[] = [];
  const applicationSets: CheckedResolution['applicationSets'] = [];
  const add = async (objects: ArgoObject[], cluster: ClusterDeclaration) => {
    for (const object of objects) {
      if (object.kind === 'Application') {
        applications.push({ cluster, file: object.file, name: metadataName(object.doc), doc: object.doc });
        continue;
      }
      applicationSets.push({ cluster, file: object.file, doc: object.doc });
      const generated = await expandApplicationSet(object.doc, object.file, files).catch(() => []);
      for (const doc of generated) applications.push({ cluster, file: object.file, name: metadataName(doc), doc });
    }
  };
  for (const { cluster, file } of manifests) {
    const text = (await files.text(file)) ?? '';
    await add(
      tryOrEmpty(() => argoObjects(parseYamlDocuments(text, file), file)),
      cluster,
    );
  }
  for (const { cluster, label, yaml } of rendered)
    await add(
      tryOrEmpty(() => argoObjects(parseYamlDocuments(yaml, label), label)),
      cluster,
    );
  return { applications, applicationSets };
}

function tryOrEmpty<T>(read: () => T[]): T[] {
  try {
    return read();
  } catch {
    return [];
  }
}

function metadataName(doc: Record<string, unknown>): string {
  return isRecord(doc.metadata) && typeof doc.metadata.name === 'string' ? doc.metadata.name : '';
}
