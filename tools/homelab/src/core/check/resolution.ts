import { discoverCharts } from '../workspace/charts.ts';
import { CLUSTER_FILE, discoverClusters } from '../workspace/clusters.ts';
import { errorLine, HomelabError } from '../model/errors.ts';
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
  /** The resolver's releases: all of them, or when it fails, those of every manifest file that resolves on its own. */
  resolution: Resolution;
  /** One per distinct resolver error. */
  errors: HomelabError[];
  applications: ApplicationDoc[];
  applicationSets: { cluster: ClusterDeclaration; file: string; doc: Record<string, unknown> }[];
}

/**
 * A view of the workspace in which some manifest files read as absent: the resolver then sees one file's
 * Applications without the others' (files hidden here are only ever read through `text`).
 */
class WithoutManifests extends RepoFiles {
  readonly #hidden: ReadonlySet<string>;

  constructor(root: string, hidden: ReadonlySet<string>) {
    super(root);
    this.#hidden = hidden;
  }

  override text(rel: string): Promise<string | undefined> {
    return this.#hidden.has(rel) ? Promise.resolve(undefined) : super.text(rel);
  }
}

/**
 * Runs the resolver so that every error it can raise is reported, not only the first: when resolving the whole
 * workspace fails, each manifest file is resolved alone (its errors are its own), then all files that resolve
 * alone together (what remains are errors between files: one release or Application name defined twice).
 * Discovery errors (a broken Chart.yaml or cluster.yaml) stop everything and are the only error returned.
 */
export async function resolveForCheck(layout: WorkspaceLayout): Promise<CheckedResolution | HomelabError> {
  const files = new RepoFiles(layout.root);
  let charts: Chart[];
  let clusters: ClusterDeclaration[];
  try {
    [charts, clusters] = await Promise.all([discoverCharts(layout, files), discoverClusters(layout, files)]);
  } catch (err) {
    return asHomelabError(err);
  }

  const rendered = new Map<string, { cluster: ClusterDeclaration; label: string; yaml: string }>();
  const renderChart: RenderChart = async (_dir, _name, _namespace, _files, release) => {
    const yaml = await renderAppOfApps(layout.root, await resolveHelm(), release);
    const cluster = requireCluster(clusters, release.cluster);
    const label = `${release.chartDir} (rendered for Application ${release.application})`;
    rendered.set(`${release.cluster}\0${release.application}\0${release.chartDir}`, { cluster, label, yaml });
    return yaml;
  };
  const attempt = async (hidden: ReadonlySet<string>): Promise<Resolution | HomelabError> => {
    try {
      return await resolveReleases(layout, { renderChart, files: hidden.size > 0 ? new WithoutManifests(layout.root, hidden) : files });
    } catch (err) {
      return asHomelabError(err);
    }
  };

  const manifests: { cluster: ClusterDeclaration; file: string }[] = [];
  for (const cluster of clusters) {
    for (const file of await clusterManifestFiles(cluster.dir, files, CLUSTER_FILE)) manifests.push({ cluster, file });
  }

  const errors: HomelabError[] = [];
  const report = (err: HomelabError) => {
    if (!errors.some((e) => e.line() === err.line())) errors.push(err);
  };
  let resolution = await attempt(new Set());
  if (resolution instanceof HomelabError) {
    const failing = new Set<string>();
    const alone: Resolution[] = [];
    for (const { file } of manifests) {
      const result = await attempt(new Set(manifests.map((m) => m.file).filter((f) => f !== file)));
      if (result instanceof HomelabError) {
        failing.add(file);
        report(result);
      } else {
        alone.push(result);
      }
    }
    const together = failing.size > 0 ? await attempt(failing) : resolution;
    if (together instanceof HomelabError) {
      report(together);
      resolution = merge(charts, clusters, alone);
    } else {
      resolution = together;
    }
  }

  const { applications, applicationSets } = await readApplications(manifests, files, [...rendered.values()]);
  return { charts, clusters, resolution, errors, applications, applicationSets };
}

/** Releases of the files that resolved alone; convention releases (charts those files do not deploy) are dropped. */
function merge(charts: Chart[], clusters: ClusterDeclaration[], parts: Resolution[]): Resolution {
  return {
    charts,
    clusters,
    releases: parts.flatMap((p) => p.releases.filter((r) => r.origin !== 'convention')),
    external: parts.flatMap((p) => p.external),
    warnings: [...new Set(parts.flatMap((p) => p.warnings))],
  };
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

function asHomelabError(err: unknown): HomelabError {
  return err instanceof HomelabError ? err : new HomelabError(errorLine(err));
}
