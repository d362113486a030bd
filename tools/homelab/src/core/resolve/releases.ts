/**
 * The resolver: charts + ArgoCD manifests of each cluster directory → every Release (the one truth
 * every command renders, diffs and installs from).
 *
 * ArgoCD field → Release
 * | ArgoCD (Application; ApplicationSets are expanded first)      | Release                                         |
 * |---------------------------------------------------------------|-------------------------------------------------|
 * | directory of the manifest file under clusters/<name>/         | cluster                                         |
 * | source.path (must be a chart dir matched by the chart globs)  | chart, chartDir                                 |
 * | source.helm.releaseName, else metadata.name                   | name                                            |
 * | metadata.name                                                 | application                                     |
 * | source.helm.namespace, else destination.namespace, else       | namespace                                       |
 * |   'default' (+ warning: what `helm template` gets with no     |                                                 |
 * |   --namespace, which is what ArgoCD runs)                     |                                                 |
 * | spec.project ('' → 'default')                                 | project                                         |
 * | helm.valueFiles: relative to the chart dir; `/x` relative to  | valueFiles[] {raw, path, secret}                |
 * |   the repo root; `$ref/x` (multi-source `ref`) repo-root      |                                                 |
 * |   relative; `secrets://x` → secret: true (helm-secrets)       |                                                 |
 * | helm.ignoreMissingValueFiles (missing files are dropped)      | ignoreMissingValueFiles                         |
 * | helm.values (string) / helm.valuesObject (wins over values)   | values / valuesObject                           |
 * | helm.parameters[{name,value,forceString}]                     | parameters                                      |
 * | helm.fileParameters[{name,path}] (path resolved as above)     | fileParameters                                  |
 * | helm.skipCrds / skipSchemaValidation / skipTests              | same names                                      |
 * | helm.kubeVersion, else cluster.yaml kubeVersion               | kubeVersion                                     |
 * | helm.apiVersions, else cluster.yaml apiVersions               | apiVersions                                     |
 * | annotation argocd.argoproj.io/sync-wave (integer, default 0;  | wave                                            |
 * |   generated apps without one take their ApplicationSet's)     |                                                 |
 * | syncPolicy.automated (present, enabled≠false), .selfHeal,     | syncPolicy {automated, selfHeal, prune}         |
 * |   .prune                                                      |                                                 |
 * | file defining it (ApplicationSet file; for app-of-apps        | definedIn                                       |
 * |   children the Application pointing at the app-of-apps chart)|                                                 |
 *
 * Kustomize sources (`path` holds a kustomization.yaml; ArgoCD runs `kustomize build --enable-helm`):
 * | kustomization `helmCharts[]` entry (argocd/kustomize.ts)      | Release                                         |
 * |---------------------------------------------------------------|-------------------------------------------------|
 * | `<dir>/<helmGlobals.chartHome ?? charts>/<name>` (a chart of  | chart, chartDir                                 |
 * |   the workspace)                                              |                                                 |
 * | releaseName (required)                                        | name                                            |
 * | namespace, else 'default' (+ warning)                         | namespace                                       |
 * | valuesFile (default the chart's values.yaml; dropped by       | valueFiles[] (relative to the kustomization)    |
 * |   valuesMerge: replace), then additionalValuesFiles           |                                                 |
 * | valuesInline                                                  | valuesObject                                    |
 * | includeCRDs (default false)                                   | skipCrds = !includeCRDs                         |
 * | skipTests                                                     | skipTests                                       |
 * | source.kustomize.kubeVersion, else cluster.yaml kubeVersion   | kubeVersion                                     |
 * |   (ArgoCD passes --helm-kube-version), else the entry's       |                                                 |
 * | source.kustomize.apiVersions, else cluster.yaml apiVersions,  | apiVersions                                     |
 * |   else the entry's                                            |                                                 |
 * | Application file, then the kustomization file                 | definedIn                                       |
 * The render is the `helm template` kustomize runs; kustomization fields that transform its output afterwards
 * (namespace, patches, labels, resources, …) and the Application's kustomize options other than
 * kubeVersion/apiVersions are not applied: the resolver warns when a kustomization or source has them.
 *
 * Sources: `source.chart` (Helm repository) or an `oci://` repoURL → ExternalRelease; a source with
 * `ref` and no `path` only provides `$ref` value files; any other repoURL is taken to be this
 * repository (the workspace is what ArgoCD checks out), and its `path` must be a chart, a kustomization
 * (above; one without helmCharts renders no release), or a directory under a cluster directory
 * (manifests, read anyway: app-of-apps roots).
 * An Application whose chart renders Applications (its templates mention argoproj.io and
 * `kind: Application[Set]`) is an app-of-apps: it is rendered with `renderChart` and its children
 * are resolved too (origin 'app-of-apps'). Charts with no Application anywhere get a convention
 * release (first cluster, name = namespace = chart, values.yaml). Library charts get none.
 * Every manifest file below a cluster directory is read, whatever `directory.recurse` says.
 * Not modelled: destination.server/name (a cluster directory is one cluster), remote or glob value
 * files, `$VAR` substitution in value files, generators other than git/list/matrix/merge, the
 * git files generator's --enable-new-git-file-globbing (default pathspec globbing is modelled).
 */
import { posix } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { gitRemoteURLs, normalizeRepoURL } from '../workspace/git-remotes.ts';
import { discoverCharts, compare } from '../workspace/charts.ts';
import { CLUSTER_FILE, discoverClusters } from '../workspace/clusters.ts';
import { errorLine, HomelabError } from '../model/errors.ts';
import type { WorkspaceLayout } from '../workspace/layout.ts';
import { RepoFiles } from '../workspace/repo-files.ts';
import type { Chart, ClusterDeclaration, HelmParameter, Release, ValueFile } from '../model/types.ts';
import { createRelease } from '../model/release.ts';
import { isRecord, optString, parseYamlDocuments, stringList } from '../workspace/yaml-docs.ts';
import { expandApplicationSet } from './argocd/applicationset.ts';
import { argoObjects, clusterManifestFiles, type ArgoObject } from './argocd/manifests.ts';
import { helmInflations, readKustomization, type Kustomization } from './argocd/kustomize.ts';

/** An Application deploying a chart from a Helm repository or OCI registry (e.g. ArgoCD itself). */
export interface ExternalRelease {
  cluster: string;
  name: string;
  application: string;
  origin: Release['origin'];
  definedIn: string[];
  repoURL: string;
  /** `source.chart`, or `source.path` inside an OCI artifact. */
  chart: string;
  targetRevision: string;
  namespace: string;
  project: string;
  wave: number;
  /** Value files in this repository (`$ref/…`, `secrets://$ref/…`). */
  valueFiles: ValueFile[];
  /** Value files inside the remote chart, as written. */
  chartValueFiles: string[];
  values?: string;
  valuesObject?: unknown;
  parameters: HelmParameter[];
  syncPolicy: Release['syncPolicy'];
}

export interface Resolution {
  charts: Chart[];
  clusters: ClusterDeclaration[];
  releases: Release[];
  external: ExternalRelease[];
  warnings: string[];
  /**
   * What could not be resolved, one finding per broken object (ArgoCD's rule: a broken Application breaks only
   * itself): a manifest file, an Application, an ApplicationSet, a chart, a cluster directory. Everything else is
   * resolved as if the broken object were not there.
   */
  findings: ResolutionFinding[];
}

export interface ResolutionFinding {
  /** The file holding the broken object (manifest, Chart.yaml, cluster.yaml, or a rendered app-of-apps label). */
  file: string;
  /**
   * Chart directories the broken object deploys, or mentions when it could not be read that far: their commands
   * refuse to run, since rendering the releases that did resolve would silently drop the broken one's.
   */
  chartDirs: string[];
  /** One line naming the file and the problem, and what to do (a HomelabError's two halves). */
  message: string;
  hint: string;
}

/**
 * Renders an app-of-apps chart to YAML (`helm template`). Paths are absolute; `release` carries
 * everything else (inline values, parameters, secret flags) for renderers that honour it.
 */
export type RenderChart = (chartDir: string, releaseName: string, namespace: string, valueFiles: string[], release: Release) => Promise<string>;

export interface ResolveOptions {
  /** Needed only when some Application deploys an app-of-apps chart. */
  renderChart?: RenderChart;
  /** Reuse a file view (tests, or a caller that already read the workspace). */
  files?: RepoFiles;
}

export const SYNC_WAVE = 'argocd.argoproj.io/sync-wave';

interface FoundApp {
  doc: Record<string, unknown>;
  /** File named in errors. */
  file: string;
  cluster: ClusterDeclaration;
  origin: Release['origin'];
  definedIn: string[];
  /** app-of-apps releases rendered on the way here (cycle guard), and the Applications that deployed them. */
  ancestors: string[];
}

interface Context {
  layout: WorkspaceLayout;
  files: RepoFiles;
  charts: Map<string, Chart>;
  clusters: ClusterDeclaration[];
  warnings: string[];
  findings: ResolutionFinding[];
  /** This repository's remote URLs (normalized); undefined: every git source is this repository. */
  thisRepo?: Set<string>;
}

export async function resolveReleases(layout: WorkspaceLayout, opts: ResolveOptions = {}): Promise<Resolution> {
  const files = opts.files ?? new RepoFiles(layout.root);
  const findings: ResolutionFinding[] = [];
  const broken = (file: string) => (dir: string, err: unknown) => addFinding(findings, `${dir}/${file}`, [dir], err);
  const [charts, clusters] = await Promise.all([discoverCharts(layout, files, broken('Chart.yaml')), discoverClusters(layout, files, broken(CLUSTER_FILE))]);
  const ctx: Context = { layout, files, charts: new Map(charts.map((c) => [c.dir, c])), clusters, warnings: [], findings };

  const queue: FoundApp[] = [];
  for (const cluster of clusters) {
    for (const file of await clusterManifestFiles(cluster.dir, files, CLUSTER_FILE)) {
      const text = (await files.text(file)) ?? '';
      const objects = await isolated(
        ctx,
        file,
        () => mentionedCharts(text, ctx),
        async () => argoObjects(parseYamlDocuments(text, file), file),
      );
      queue.push(...(await expandObjects(objects ?? [], cluster, 'application', undefined, [], ctx)));
    }
  }

  ctx.thisRepo = thisRepository(gitRemoteURLs(layout.root), queue);
  const releases: Release[] = [];
  const external: ExternalRelease[] = [];
  const appFiles = new Map<string, string>();
  const appSpecs = new Map<string, unknown>();
  for (let app = queue.shift(); app; app = queue.shift()) {
    const current = app;
    const mapped = await isolated(
      ctx,
      app.file,
      () => applicationCharts(current.doc, ctx),
      async () => {
        const name = appName(current);
        const appKey = appKeyOf(current);
        const other = appFiles.get(appKey);
        // An app-of-apps chart that renders the very Application deploying it (ArgoCD manages its own root): one object.
        if (other !== undefined && current.ancestors.includes(appKey)) {
          if (!isDeepStrictEqual(current.doc.spec, appSpecs.get(appKey))) {
            ctx.warnings.push(`${other}: Application ${name} differs from the copy its own chart renders; ArgoCD converges to the rendered one`);
          }
          return { releases: [], external: [] };
        }
        if (other !== undefined) {
          throw new HomelabError(
            `Application ${name} is defined twice in cluster ${current.cluster.name}: ${other} and ${current.file}`,
            'Application names must be unique per cluster: rename one',
          );
        }
        appFiles.set(appKey, current.file);
        appSpecs.set(appKey, current.doc.spec);
        return mapApplication(current, ctx);
      },
    );
    if (!mapped) continue;
    external.push(...mapped.external);
    for (const release of mapped.releases) {
      releases.push(release);
      if (await isAppOfAppsChart(release.chartDir, files)) {
        const children = await isolated(
          ctx,
          app.file,
          () => [release.chartDir],
          () => renderChildren(current, release, ctx, opts.renderChart),
        );
        queue.push(...(children ?? []));
      }
    }
  }

  collidingReleases(releases, findings);
  // A chart a broken object deploys gets no convention release: its commands fail with the finding instead.
  const brokenDirs = new Set(findings.flatMap((f) => f.chartDirs));
  const undeployed = charts.filter((c) => !brokenDirs.has(c.dir));
  releases.push(...(await conventionReleases(undeployed, releases, clusters, files)));
  releases.sort(
    (a, b) => compare(a.cluster, b.cluster) || a.wave - b.wave || compare(a.chart, b.chart) || compare(a.name, b.name) || compare(a.namespace, b.namespace),
  );
  external.sort((a, b) => compare(a.cluster, b.cluster) || a.wave - b.wave || compare(a.name, b.name));
  return { charts, clusters, releases, external, warnings: ctx.warnings, findings };
}

function addFinding(findings: ResolutionFinding[], file: string, chartDirs: string[], err: unknown): void {
  const { message, hint } = err instanceof HomelabError ? err : new HomelabError(`${file}: ${errorLine(err)}`, 'fix this file');
  const same = findings.find((f) => f.message === message);
  if (same) same.chartDirs = [...new Set([...same.chartDirs, ...chartDirs])];
  else findings.push({ file, chartDirs, message, hint });
}

/** Runs one object's resolution; its error becomes that object's finding (undefined) instead of the run's. */
async function isolated<T>(ctx: Context, file: string, charts: () => string[], resolve: () => Promise<T>): Promise<T | undefined> {
  try {
    return await resolve();
  } catch (err) {
    addFinding(ctx.findings, file, charts(), err);
    return undefined;
  }
}

/** Chart directories a text names as a path (a manifest that could not be parsed). */
function mentionedCharts(text: string, ctx: Context): string[] {
  return [...ctx.charts.keys()].filter((dir) => new RegExp(`(?<![\\w./-])\\.?/?${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/?(?![\\w.-])`).test(text));
}

/**
 * The charts a broken Application would deploy: the chart directories its sources (or, for an ApplicationSet, its
 * template) name, and a chart named like the Application (a typo in the path still belongs to that chart).
 */
function applicationCharts(doc: Record<string, unknown>, ctx: Context): string[] {
  const named = isRecord(doc.metadata) && typeof doc.metadata.name === 'string' ? doc.metadata.name : undefined;
  const sameName = [...ctx.charts.values()].filter((c) => c.name === named).map((c) => c.dir);
  return [...new Set([...mentionedCharts(JSON.stringify(doc), ctx), ...sameName])];
}

async function expandObjects(
  objects: ArgoObject[],
  cluster: ClusterDeclaration,
  origin: Release['origin'],
  parent: FoundApp | undefined,
  ancestors: string[],
  ctx: Context,
): Promise<FoundApp[]> {
  const apps: FoundApp[] = [];
  for (const object of objects) {
    const file = object.file;
    const definedIn = parent?.definedIn ?? [object.file];
    if (object.kind === 'Application') {
      apps.push({ doc: object.doc, file, cluster, origin, definedIn, ancestors });
    } else {
      const setWave = annotations(object.doc)[SYNC_WAVE];
      const generated = await isolated(
        ctx,
        file,
        () => applicationCharts(object.doc, ctx),
        () => expandApplicationSet(object.doc, object.file, ctx.files),
      );
      for (const doc of generated ?? []) {
        // Generated Applications are not part of the parent sync that applied the ApplicationSet:
        // the ApplicationSet's wave is what orders them, unless the template sets its own.
        if (setWave !== undefined && annotations(doc)[SYNC_WAVE] === undefined) {
          doc.metadata = { ...(doc.metadata as object), annotations: { ...annotations(doc), [SYNC_WAVE]: setWave } };
        }
        apps.push({ doc, file, cluster, origin: parent ? origin : 'applicationset', definedIn, ancestors });
      }
    }
  }
  return apps;
}

function appName(app: FoundApp): string {
  const meta = app.doc.metadata;
  if (!isRecord(meta) || typeof meta.name !== 'string' || meta.name === '') {
    throw new HomelabError(`${app.file}: Application without metadata.name`, 'give every Application a metadata.name');
  }
  return meta.name;
}

/**
 * The checkout's remotes, once some top-level Application names one of them: then a git source with another URL is
 * another repository's and is never read as a local path. A checkout with no remote, or whose remote no Application
 * names (a mirror, a fork), keeps the plain reading: every git source is this repository.
 */
function thisRepository(remotes: string[], apps: FoundApp[]): Set<string> | undefined {
  const known = new Set(remotes);
  const names = (doc: Record<string, unknown>) => {
    const spec = isRecord(doc.spec) ? doc.spec : {};
    const sources = [spec.source, ...(Array.isArray(spec.sources) ? spec.sources : [])];
    return sources.some((source) => isRecord(source) && typeof source.repoURL === 'string' && known.has(normalizeRepoURL(source.repoURL)));
  };
  return apps.some((app) => names(app.doc)) ? known : undefined;
}

/** Identity of an Application object in its cluster (`app\0` keeps it apart from the release keys in `ancestors`). */
function appKeyOf(app: FoundApp): string {
  return `app\0${app.cluster.name}\0${metaNamespace(app.doc)}\0${appName(app)}`;
}

function metaNamespace(doc: Record<string, unknown>): string {
  return isRecord(doc.metadata) && typeof doc.metadata.namespace === 'string' ? doc.metadata.namespace : '';
}

/** One Application → its releases (one per chart source) and external releases. */
async function mapApplication(app: FoundApp, ctx: Context): Promise<{ releases: Release[]; external: ExternalRelease[] }> {
  const name = appName(app);
  const where = `${app.file}: Application ${name}`;
  const spec = app.doc.spec;
  if (!isRecord(spec)) throw new HomelabError(`${where} has no spec`, 'add spec.source (or spec.sources) and spec.destination');
  const sources = Array.isArray(spec.sources) && spec.sources.length > 0 ? spec.sources : isRecord(spec.source) ? [spec.source] : [];
  if (sources.length === 0 || !sources.every(isRecord)) {
    throw new HomelabError(`${where} has no spec.source (or spec.sources)`, 'add spec.source with repoURL and path');
  }
  const destination = spec.destination;
  if (!isRecord(destination)) throw new HomelabError(`${where} has no spec.destination`, 'add spec.destination with server and namespace');

  const refs = new Map<string, Record<string, unknown>>();
  for (const source of sources) if (typeof source.ref === 'string' && source.ref !== '') refs.set(source.ref, source);

  const common = {
    cluster: app.cluster.name,
    application: name,
    origin: app.origin,
    definedIn: app.definedIn,
    project: typeof spec.project === 'string' && spec.project !== '' ? spec.project : 'default',
    wave: syncWave(app.doc, where),
    syncPolicy: syncPolicy(spec.syncPolicy),
  };
  const destinationNamespace = optString(destination.namespace, `${where}: spec.destination.namespace`);

  const external: ExternalRelease[] = [];
  const pending: Promise<Release>[] = [];
  for (const source of sources) {
    const helm = isRecord(source.helm) ? source.helm : {};
    const releaseName = optString(helm.releaseName, `${where}: helm.releaseName`) || name;
    const namespace = optString(helm.namespace, `${where}: helm.namespace`) || destinationNamespace || 'default';
    if (!helm.namespace && !destinationNamespace && !isRefOnly(source)) {
      ctx.warnings.push(`${where}: spec.destination.namespace is empty; rendering with namespace "default" as ArgoCD's helm template does`);
    }
    const repoURL = optString(source.repoURL, `${where}: source.repoURL`);
    const chartName = optString(source.chart, `${where}: source.chart`);
    if (chartName || repoURL.startsWith('oci://')) {
      const valueFiles: ValueFile[] = [];
      const chartValueFiles: string[] = [];
      for (const raw of stringList(helm.valueFiles, `${where}: helm.valueFiles`)) {
        if (stripSecret(raw).startsWith('$')) valueFiles.push(resolveValueFile(raw, '', refs, where));
        else chartValueFiles.push(raw);
      }
      external.push({
        ...common,
        name: releaseName,
        repoURL,
        chart: chartName || optString(source.path, `${where}: source.path`),
        targetRevision: optString(source.targetRevision, `${where}: source.targetRevision`),
        namespace,
        valueFiles,
        chartValueFiles,
        ...inlineValues(helm, where),
        parameters: parameters(helm.parameters, where),
      });
      continue;
    }
    if (isRefOnly(source)) continue;
    if (ctx.thisRepo && !ctx.thisRepo.has(normalizeRepoURL(repoURL))) {
      ctx.warnings.push(`${where}: source ${repoURL} is another repository (not a remote of this checkout): its ${String(source.path ?? '.')} is not rendered`);
      continue;
    }
    const path = normalizePath(optString(source.path, `${where}: source.path`));
    const chart = ctx.charts.get(path);
    const kustomization = chart ? undefined : await readKustomization(path, ctx.files);
    if (kustomization) {
      pending.push(...(await kustomizeReleases(common, kustomization, source, app, where, ctx)));
      continue;
    }
    if (!chart) {
      if (ctx.clusters.some((c) => path === c.dir || path.startsWith(`${c.dir}/`))) continue; // manifests, read with the cluster
      throw new HomelabError(
        `${where}: source path "${path || '.'}" is not a chart in the workspace (chart globs searched: ${ctx.layout.charts.join(', ')})`,
        'point source.path at a chart directory, or add its directory to the chartGlobs option',
      );
    }
    if (chart.type === 'library') {
      throw new HomelabError(`${where}: chart ${chart.name} is a library chart and cannot be deployed`, 'deploy a chart that depends on it');
    }
    pending.push(buildRelease({ ...common, name: releaseName, namespace }, chart, helm, refs, app.cluster, where, ctx.files));
  }
  return { releases: await Promise.all(pending), external };
}

async function buildRelease(
  base: Pick<Release, 'cluster' | 'application' | 'origin' | 'definedIn' | 'project' | 'wave' | 'syncPolicy' | 'name' | 'namespace'>,
  chart: Chart,
  helm: Record<string, unknown>,
  refs: Map<string, Record<string, unknown>>,
  cluster: ClusterDeclaration,
  where: string,
  files: RepoFiles,
): Promise<Release> {
  const ignoreMissingValueFiles = flag(helm.ignoreMissingValueFiles, `${where}: helm.ignoreMissingValueFiles`);
  const valueFiles: ValueFile[] = [];
  for (const raw of stringList(helm.valueFiles, `${where}: helm.valueFiles`)) {
    const valueFile = resolveValueFile(raw, chart.dir, refs, where);
    if (await files.isFile(valueFile.path)) valueFiles.push(valueFile);
    else if (valueFile.secret && !ignoreMissingValueFiles) {
      // A secrets file is usually shared by many Applications: the file is the problem, not whichever reads it first.
      throw new HomelabError(
        `${valueFile.path} does not exist, yet Applications read it as ${raw}`,
        `restore it (git restore ${valueFile.path}), or start a new one with hack/secrets set <chart>.<key> --file ${valueFile.path}`,
      );
    } else if (!ignoreMissingValueFiles) {
      throw new HomelabError(
        `${where}: value file ${raw} (${valueFile.path}) does not exist`,
        `create it, fix the path (relative to ${chart.dir}), or set helm.ignoreMissingValueFiles: true`,
      );
    }
  }
  const fileParameters = (Array.isArray(helm.fileParameters) ? helm.fileParameters : []).map((p) => {
    if (!isRecord(p) || typeof p.name !== 'string' || typeof p.path !== 'string') {
      throw new HomelabError(`${where}: helm.fileParameters entries need name and path`, 'e.g. { name: config, path: files/config.json }');
    }
    return { name: p.name, path: resolveValueFile(p.path, chart.dir, refs, where).path };
  });
  const apiVersions = stringList(helm.apiVersions, `${where}: helm.apiVersions`);
  const kubeVersion = optString(helm.kubeVersion, `${where}: helm.kubeVersion`) || cluster.kubeVersion;
  return createRelease({
    ...base,
    chart: chart.name,
    chartDir: chart.dir,
    valueFiles,
    ...inlineValues(helm, where),
    parameters: parameters(helm.parameters, where),
    fileParameters,
    ignoreMissingValueFiles,
    skipCrds: flag(helm.skipCrds, `${where}: helm.skipCrds`),
    skipSchemaValidation: flag(helm.skipSchemaValidation, `${where}: helm.skipSchemaValidation`),
    skipTests: flag(helm.skipTests, `${where}: helm.skipTests`),
    kubeVersion: kubeVersion || undefined,
    apiVersions: apiVersions.length > 0 ? apiVersions : [...cluster.apiVersions],
  });
}

/** ArgoCD's kustomize source options that change what is rendered; kubeVersion and apiVersions are modelled. */
const KUSTOMIZE_TRANSFORMS = [
  'namePrefix',
  'nameSuffix',
  'images',
  'replicas',
  'commonLabels',
  'commonAnnotations',
  'labelWithoutSelector',
  'forceCommonLabels',
  'forceCommonAnnotations',
  'namespace',
  'patches',
  'components',
];

/** A kustomization's local `helmCharts`: one release per entry, rendered as the `helm template` kustomize runs. */
async function kustomizeReleases(
  common: Pick<Release, 'cluster' | 'application' | 'origin' | 'definedIn' | 'project' | 'wave' | 'syncPolicy'>,
  kustomization: Kustomization,
  source: Record<string, unknown>,
  app: FoundApp,
  where: string,
  ctx: Context,
): Promise<Promise<Release>[]> {
  const options = isRecord(source.kustomize) ? source.kustomize : {};
  const ignored = KUSTOMIZE_TRANSFORMS.filter((key) => options[key] !== undefined);
  if (ignored.length > 0) ctx.warnings.push(`${where}: source.kustomize ${ignored.join(', ')} not applied: renders show the helm output kustomize inflates`);
  const inflations = await helmInflations(kustomization, ctx.files);
  if (inflations.length === 0) {
    ctx.warnings.push(`${where}: ${kustomization.file} inflates no local chart (helmCharts): its manifests are not rendered by homelab`);
  } else if (inflations[0].transforms.length > 0) {
    ctx.warnings.push(
      `${where}: ${kustomization.file} also has ${inflations[0].transforms.join(', ')}, not applied: renders show the helm output kustomize inflates`,
    );
  }
  const kubeVersion = optString(options.kubeVersion, `${where}: source.kustomize.kubeVersion`);
  const apiVersions = stringList(options.apiVersions, `${where}: source.kustomize.apiVersions`);
  return inflations.map(async (inflation): Promise<Release> => {
    const chart = ctx.charts.get(inflation.chartDir);
    if (!chart) {
      throw new HomelabError(
        `${kustomization.file}: helmCharts chart ${inflation.chartDir} is not a chart in the workspace (chart globs searched: ${ctx.layout.charts.join(', ')})`,
        'fix helmGlobals.chartHome or the chart name, or add the chart directory to the chartGlobs option',
      );
    }
    if (chart.type === 'library')
      throw new HomelabError(`${kustomization.file}: chart ${chart.name} is a library chart and cannot be inflated`, 'inflate a chart that depends on it');
    if (!inflation.namespace)
      ctx.warnings.push(`${kustomization.file}: helmCharts ${inflation.releaseName} has no namespace; rendering with "default" as helm does`);
    const cluster = app.cluster;
    const resolvedKubeVersion = kubeVersion || cluster.kubeVersion || inflation.kubeVersion;
    return createRelease({
      ...common,
      definedIn: [...common.definedIn, kustomization.file],
      name: inflation.releaseName,
      namespace: inflation.namespace || 'default',
      chart: chart.name,
      chartDir: chart.dir,
      valueFiles: inflation.valueFiles,
      valuesObject: inflation.valuesObject || undefined,
      skipCrds: !inflation.includeCRDs,
      skipTests: inflation.skipTests,
      kubeVersion: resolvedKubeVersion || undefined,
      apiVersions: apiVersions.length > 0 ? apiVersions : cluster.apiVersions.length > 0 ? [...cluster.apiVersions] : inflation.apiVersions,
    });
  });
}

function isRefOnly(source: Record<string, unknown>): boolean {
  return typeof source.ref === 'string' && source.ref !== '' && source.path === undefined && source.chart === undefined;
}

function stripSecret(raw: string): string {
  return raw.startsWith('secrets://') ? raw.slice('secrets://'.length) : raw;
}

/** ArgoCD's value file resolution (see the table above), plus helm-secrets' `secrets://`. */
function resolveValueFile(raw: string, chartDir: string, refs: Map<string, Record<string, unknown>>, where: string): ValueFile {
  const secret = raw.startsWith('secrets://');
  const rest = stripSecret(raw);
  const fail = (why: string, hint: string): never => {
    throw new HomelabError(`${where}: value file ${raw}: ${why}`, hint);
  };
  if (/^secrets\+[\w-]+:\/\//.test(raw)) fail('only the plain secrets:// helm-secrets scheme is supported', 'write secrets://<path>');
  let path: string;
  if (rest.startsWith('$')) {
    const slash = rest.indexOf('/');
    const ref = rest.slice(1, slash < 0 ? undefined : slash);
    const source = refs.get(ref);
    if (!source) fail(`no source has ref: ${ref}`, `add a source with ref: ${ref} (known refs: ${[...refs.keys()].join(', ') || 'none'})`);
    if (source!.chart !== undefined) fail(`ref ${ref} is a Helm chart source`, 'a $ref must name a git source of this repository');
    path = normalizePath(slash < 0 ? '' : rest.slice(slash + 1));
    if (path === '') fail('no file after the ref', `write $${ref}/<path>`);
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(rest)) {
    return fail('remote value files are not supported', 'keep value files in the repository');
  } else if (rest.includes('$')) {
    return fail('environment variable substitution is not supported', 'write the path literally');
  } else {
    path = normalizePath(rest.startsWith('/') ? rest : posix.join(chartDir, rest));
  }
  if (path === '..' || path.startsWith('../../')) fail('resolves outside the repository', 'ArgoCD refuses value files outside the repository');
  if (/[*?[]/.test(path)) fail('value file globs are not supported', 'list the files explicitly');
  return { raw, path, secret };
}

/** Workspace-relative POSIX path without `./`, trailing or leading slashes ('' is the root). */
export function normalizePath(p: string): string {
  const n = posix.normalize(`./${p.replace(/^\/+/, '')}`).replace(/\/+$/, '');
  return n === '.' ? '' : n;
}

function annotations(doc: Record<string, unknown>): Record<string, unknown> {
  return isRecord(doc.metadata) && isRecord(doc.metadata.annotations) ? doc.metadata.annotations : {};
}

function syncWave(doc: Record<string, unknown>, where: string): number {
  const raw = annotations(doc)[SYNC_WAVE];
  if (raw === undefined || raw === null || raw === '') return 0;
  const text = String(raw).trim();
  if (!/^[+-]?\d+$/.test(text)) {
    throw new HomelabError(`${where}: annotation ${SYNC_WAVE} is "${String(raw)}", not an integer`, 'use a whole number such as "-1" or "10"');
  }
  return Number(text);
}

function syncPolicy(value: unknown): Release['syncPolicy'] {
  const automated = isRecord(value) && isRecord(value.automated) ? value.automated : undefined;
  if (!automated || automated.enabled === false) return { automated: false, selfHeal: false, prune: false };
  return { automated: true, selfHeal: automated.selfHeal === true, prune: automated.prune === true };
}

function inlineValues(helm: Record<string, unknown>, where: string): { values?: string; valuesObject?: unknown } {
  const out: { values?: string; valuesObject?: unknown } = {};
  if (helm.values !== undefined && helm.values !== null) {
    if (typeof helm.values !== 'string') throw new HomelabError(`${where}: helm.values must be a string`, 'write values: | … or use valuesObject');
    out.values = helm.values;
  }
  if (helm.valuesObject !== undefined && helm.valuesObject !== null) out.valuesObject = helm.valuesObject;
  return out;
}

function parameters(value: unknown, where: string): HelmParameter[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new HomelabError(`${where}: helm.parameters must be a list`, 'e.g. - { name: image.tag, value: "1.2" }');
  return value.map((p) => {
    if (!isRecord(p) || typeof p.name !== 'string')
      throw new HomelabError(`${where}: every helm parameter needs a name`, 'e.g. - { name: image.tag, value: "1.2" }');
    return { name: p.name, value: p.value === undefined || p.value === null ? '' : String(p.value), forceString: p.forceString === true };
  });
}

function flag(value: unknown, what: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new HomelabError(`${what} must be true or false`, 'write true or false');
  return value;
}

/** Two Applications rendering the same release name into one namespace of one cluster collide: a finding on both charts. */
function collidingReleases(releases: Release[], findings: ResolutionFinding[]): void {
  const seen = new Map<string, Release>();
  for (const release of releases) {
    const key = `${release.cluster}\0${release.namespace}\0${release.name}`;
    const other = seen.get(key);
    if (other && other.application !== release.application) {
      const err = new HomelabError(
        `release ${release.name} in namespace ${release.namespace} of cluster ${release.cluster} is deployed twice: ` +
          `by Application ${other.application} (${other.definedIn.join(', ')}) and Application ${release.application} (${release.definedIn.join(', ')})`,
        'give one of them another helm.releaseName or destination.namespace, or delete one',
      );
      addFinding(findings, release.definedIn[0] ?? '', [other.chartDir, release.chartDir], err);
    }
    seen.set(key, release);
  }
}

/** Charts no Application deploys: first cluster, release = namespace = chart name, its values.yaml. */
async function conventionReleases(charts: Chart[], releases: Release[], clusters: ClusterDeclaration[], files: RepoFiles): Promise<Release[]> {
  const deployed = new Set(releases.map((r) => r.chart));
  const cluster = clusters[0];
  const undeployed = charts.filter((c) => c.type === 'application' && !deployed.has(c.name));
  return Promise.all(
    undeployed.map(
      async (chart): Promise<Release> =>
        createRelease({
          cluster: cluster?.name ?? 'default',
          name: chart.name,
          chart: chart.name,
          chartDir: chart.dir,
          namespace: chart.name,
          valueFiles: (await files.isFile(`${chart.dir}/values.yaml`)) ? [{ raw: 'values.yaml', path: `${chart.dir}/values.yaml`, secret: false }] : [],
          kubeVersion: cluster?.kubeVersion || undefined,
          apiVersions: [...(cluster?.apiVersions ?? [])],
        }),
    ),
  );
}

const appOfAppsCache = new WeakMap<RepoFiles, Map<string, Promise<boolean>>>();

/** A chart whose templates produce ArgoCD Applications or ApplicationSets. */
function isAppOfAppsChart(chartDir: string, files: RepoFiles): Promise<boolean> {
  let cache = appOfAppsCache.get(files);
  if (!cache) appOfAppsCache.set(files, (cache = new Map()));
  let result = cache.get(chartDir);
  if (!result) {
    result = (async () => {
      for (const file of await files.walk(`${chartDir}/templates`, 'file')) {
        const text = (await files.text(file)) ?? '';
        if (text.includes('argoproj.io/') && /^\s*kind:\s*["']?Application(Set)?["']?\s*$/m.test(text)) return true;
      }
      return false;
    })();
    cache.set(chartDir, result);
  }
  return result;
}

async function renderChildren(parent: FoundApp, release: Release, ctx: Context, renderChart: RenderChart | undefined): Promise<FoundApp[]> {
  const key = `${release.chartDir}\0${release.name}\0${release.namespace}`;
  if (parent.ancestors.includes(key)) {
    throw new HomelabError(`${parent.file}: app-of-apps chart ${release.chart} renders itself (cycle)`, 'break the Application cycle');
  }
  if (!renderChart) {
    throw new HomelabError(
      `${parent.file}: Application ${release.application} deploys app-of-apps chart ${release.chart}, but no chart renderer was given`,
      'pass renderChart to resolveReleases (helm is needed to discover the child Applications)',
    );
  }
  let output: string;
  try {
    output = await renderChart(
      ctx.files.abs(release.chartDir),
      release.name,
      release.namespace,
      release.valueFiles.map((v) => ctx.files.abs(v.path)),
      release,
    );
  } catch (err) {
    if (err instanceof HomelabError) throw err;
    throw new HomelabError(
      `${parent.file}: rendering app-of-apps chart ${release.chart} failed: ${errorLine(err)}`,
      'run helm template on the chart to see why',
    );
  }
  const label = `${release.chartDir} (rendered for ${parent.file})`;
  const objects = argoObjects(parseYamlDocuments(output, label), label);
  return expandObjects(objects, parent.cluster, 'app-of-apps', parent, [...parent.ancestors, key, appKeyOf(parent)], ctx);
}
