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
 * Upstream sources (a chart from a Helm repository or OCI registry, fetched into the chart cache by helm/chart-fetch.ts):
 * | ArgoCD                                                        | Release                                         |
 * |---------------------------------------------------------------|-------------------------------------------------|
 * | repoURL, chart, targetRevision                                | source {kind: 'upstream', repoURL, chart,       |
 * |                                                               |   targetRevision}                               |
 * | metadata.name (the Nx project; no chart directory)            | chart (chartDir '')                             |
 * | helm.valueFiles `$ref/x` (this repository, as above)          | valueFiles[] {path repo-relative}               |
 * | helm.valueFiles `x`: inside the pulled chart                  | valueFiles[] {path chart-relative, inChart}     |
 * | every other helm field, namespace, wave, syncPolicy: as above | same                                            |
 *
 * Directory and Kustomize sources (a path of this repository that is no chart; argocd/manifest-sources.ts):
 * | ArgoCD                                                        | Release                                         |
 * |---------------------------------------------------------------|-------------------------------------------------|
 * | path with a kustomization file (and no explicit directory:)   | source {kind: 'kustomize', path, options =      |
 * |                                                               |   source.kustomize, buildOptions = cluster.yaml |
 * |                                                               |   kustomizeBuildOptions, reads}                 |
 * | any other existing directory                                  | source {kind: 'directory', path, recurse,       |
 * |                                                               |   include, exclude}                             |
 * | metadata.name                                                 | name                                            |
 * | destination.namespace, else 'default'                         | namespace                                       |
 * | source.kustomize.kubeVersion/apiVersions, else cluster.yaml   | kubeVersion, apiVersions                        |
 * | the source directory (Nx project: the Application's name, or  | chartDir, chart                                 |
 * |   the path joined with - when that name is taken)             |                                                 |
 * A kustomization's local `helmCharts` are inflated by kustomize inside its release (transforms applied); those
 * charts get no release of their own.
 *
 * Sources: `source.chart` (Helm repository) or an `oci://` repoURL → an upstream release (below); a source with
 * `ref` and no `path` only provides `$ref` value files; any other repoURL is taken to be this
 * repository (the workspace is what ArgoCD checks out), and its `path` must be a chart, a kustomization
 * or a directory of manifests (above; a cluster directory's manifests are read for Applications anyway).
 * An Application whose chart renders Applications (its templates mention argoproj.io and
 * `kind: Application[Set]`) is an app-of-apps: it is rendered with `renderChart` and its children
 * are resolved too (origin 'app-of-apps'). Charts with no Application anywhere get a convention
 * release (first cluster, name = namespace = chart, values.yaml). Library charts get none, and neither do charts in a
 * directory an ApplicationSet's git directory generator excludes (`exclude: true`, e.g. `apps/*.disabled`, path.Match):
 * parked on purpose, they render nothing (one line saying so) and check reports them as deployed by no Application.
 * ApplicationSets: `goTemplate` strings run Go's text/template with sprig and ArgoCD's functions (argocd/gotemplate.ts;
 * functions whose output changes per render, or not implemented, are refused naming them), `templatePatch` is rendered
 * per parameter set and applied as ArgoCD's strategic merge (argocd/template-patch.ts), map keys are templated too.
 * Before a local source is mapped, `.argocd-source.yaml` then `.argocd-source-<app>.yaml` in its directory are merged
 * into it as the repo-server does (argocd/source-overrides.ts; ArgoCD Image Updater's git write-back); they join
 * definedIn.
 * Every manifest file below a cluster directory is read, whatever `directory.recurse` says — unless its cluster.yaml
 * names `roots` (argocd/roots.ts: a manifest an install script applies, argocd-apps values, an app-of-apps chart, a
 * kustomization): then only the roots are read, and the directories their Applications sync as plain manifests are
 * followed as ArgoCD reads them (recurse, include, exclude), so parked or excluded Applications are no releases.
 * Not modelled: destination.server/name (a cluster directory is one cluster), remote or glob value
 * files, `$VAR` substitution in value files, generators other than git/list/matrix/merge, the
 * git files generator's --enable-new-git-file-globbing (default pathspec globbing is modelled), the sprig functions
 * argocd/sprig.ts lists as UNSUPPORTED (dates, random values, generated keys and certificates, some string casing), a
 * control plane namespace other than `argocd` for `.argocd-source-<namespace>_<app>.yaml` names, and Go's random map
 * order in sprig's `keys` and `values` (sorted here: one of the orders ArgoCD can produce).
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
import { excludedByApplicationSet, expandApplicationSet } from './argocd/applicationset.ts';
import { mergeSourceOverrides } from './argocd/source-overrides.ts';
import { argoObjects, clusterManifestFiles, type ArgoObject } from './argocd/manifests.ts';
import { directoryRelease, kustomizeRelease, manifestSourceKind, nameSourceProjects } from './argocd/manifest-sources.ts';
import { directoryManifestFiles, rootObjects, type RootBuilders } from './argocd/roots.ts';

export interface Resolution {
  charts: Chart[];
  clusters: ClusterDeclaration[];
  releases: Release[];
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
  /**
   * Every path the broken objects read (files, and chart directories with the charts they depend on), when known:
   * the same finding on both sides of a change that touches none of them deploys what it deployed before.
   */
  inputs?: string[];
}

/**
 * Renders an app-of-apps chart to YAML (`helm template`). Paths are absolute; `release` carries
 * everything else (inline values, parameters, secret flags) for renderers that honour it.
 */
export type RenderChart = (chartDir: string, releaseName: string, namespace: string, valueFiles: string[], release: Release) => Promise<string>;

export interface ResolveOptions {
  /** Needed only when some Application deploys an app-of-apps chart (or a cluster's root is one). */
  renderChart?: RenderChart;
  /** `kustomize build` of a workspace directory; needed only when a cluster's root is a kustomization. */
  buildKustomization?: (dir: string) => Promise<string>;
  /** Reuse a file view (tests, or a caller that already read the workspace). */
  files?: RepoFiles;
}

export const SYNC_WAVE = 'argocd.argoproj.io/sync-wave';
/** The namespace ArgoCD runs in and reads Applications from. */
const CONTROL_PLANE_NAMESPACE = 'argocd';

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
  /** Directories an ApplicationSet's git generator excludes (`exclude: true`): no convention release there. */
  excluded: Set<string>;
}

export async function resolveReleases(layout: WorkspaceLayout, opts: ResolveOptions = {}): Promise<Resolution> {
  const files = opts.files ?? new RepoFiles(layout.root);
  const findings: ResolutionFinding[] = [];
  const broken = (file: string) => (dir: string, err: unknown) => addFinding(findings, `${dir}/${file}`, [dir], err);
  const [charts, clusters] = await Promise.all([discoverCharts(layout, files, broken('Chart.yaml')), discoverClusters(layout, files, broken(CLUSTER_FILE))]);
  const ctx: Context = { layout, files, charts: new Map(charts.map((c) => [c.dir, c])), clusters, warnings: [], findings, excluded: new Set() };

  const queue: FoundApp[] = [];
  for (const cluster of clusters) {
    if (cluster.roots) {
      // Roots: start where ArgoCD starts and follow what it deploys (followDirectories), nothing else.
      for (const root of cluster.roots) {
        const objects = await isolated(
          ctx,
          root,
          () => [],
          () => rootObjects(root, files, rootBuilders(cluster, ctx, opts)),
        );
        queue.push(...(await expandObjects(objects ?? [], cluster, 'application', undefined, [], ctx)));
      }
      continue;
    }
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
  const seenApps = new Map<string, FoundApp>();
  for (let app = queue.shift(); app; app = queue.shift()) {
    const current = app;
    const mapped = await isolated(
      ctx,
      app.file,
      () => applicationCharts(current.doc, ctx),
      async () => {
        const name = appName(current);
        const appKey = appKeyOf(current);
        const other = seenApps.get(appKey);
        // An app-of-apps chart that renders the very Application deploying it (ArgoCD manages its own root): one object.
        if (other !== undefined && current.ancestors.includes(appKey)) {
          if (!isDeepStrictEqual(current.doc.spec, other.doc.spec)) {
            ctx.warnings.push(`${other.file}: Application ${name} differs from the copy its own chart renders; ArgoCD converges to the rendered one`);
          }
          return { releases: [] };
        }
        if (other !== undefined) {
          // Two writers of one object (two files, or a file and the ApplicationSet controller) fight over its spec:
          // what gets deployed is undecided, so both charts carry the finding, not only the later one's.
          const generated = [other, current].some((a) => a.origin === 'applicationset');
          const err = new HomelabError(
            `Application ${name} is defined twice in cluster ${current.cluster.name}: ${other.file} and ${current.file}`,
            generated
              ? "Application names must be unique per cluster: rename one, or exclude its directory from the ApplicationSet's generator"
              : 'Application names must be unique per cluster: rename one',
          );
          addFinding(ctx.findings, current.file, [...new Set([...applicationCharts(other.doc, ctx), ...applicationCharts(current.doc, ctx)])], err);
          const finding = ctx.findings.find((f) => f.message === err.message)!;
          finding.inputs = await writersInputs([other, current], releases, ctx);
          return undefined;
        }
        seenApps.set(appKey, current);
        return mapApplication(current, ctx);
      },
    );
    if (!mapped) continue;
    if (current.cluster.roots) queue.push(...(await followDirectories(current, ctx)));
    for (const release of mapped.releases) {
      releases.push(release);
      if (!release.source && (await isAppOfAppsChart(release.chartDir, files))) {
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
  // A chart a kustomization inflates is deployed inside that kustomize release.
  const inflated = new Set(releases.flatMap((r) => (r.source?.kind === 'kustomize' ? r.source.reads : [])));
  // A chart in a directory an ApplicationSet excludes (`apps/*.disabled`) was parked on purpose: no convention release.
  const undeployed = charts.filter((c) => !brokenDirs.has(c.dir) && !inflated.has(c.dir) && !ctx.excluded.has(c.dir));
  releases.push(...(await conventionReleases(undeployed, releases, clusters, files)));
  nameSourceProjects(releases, charts);
  releases.sort(
    (a, b) => compare(a.cluster, b.cluster) || a.wave - b.wave || compare(a.chart, b.chart) || compare(a.name, b.name) || compare(a.namespace, b.namespace),
  );
  return { charts, clusters, releases, warnings: ctx.warnings, findings };
}

function addFinding(findings: ResolutionFinding[], file: string, chartDirs: string[], err: unknown): void {
  const { message, hint } = err instanceof HomelabError ? err : new HomelabError(`${file}: ${errorLine(err)}`, 'fix this file');
  const same = findings.find((f) => f.message === message);
  if (same) same.chartDirs = [...new Set([...same.chartDirs, ...chartDirs])];
  else findings.push({ file, chartDirs, message, hint });
}

/**
 * What the writers of one Application read: their manifest files, and for each release they define (the first one's
 * already resolved, the other's mapped aside) its value files, file parameters and chart with its `file://` charts.
 * Undefined when a writer cannot be mapped: then nothing narrows the finding.
 */
async function writersInputs(writers: FoundApp[], resolved: Release[], ctx: Context): Promise<string[] | undefined> {
  const [first, second] = writers;
  const warnings = ctx.warnings.length;
  let mapped: Release[];
  try {
    mapped = (await mapApplication(second, ctx)).releases;
  } catch {
    return undefined;
  } finally {
    ctx.warnings.length = warnings; // the object never resolves: its notes would only repeat the finding
  }
  const firsts = resolved.filter((r) => r.cluster === first.cluster.name && r.application === appName(first));
  const out = new Set([first.file, second.file]);
  const addChart = (dir: string) => {
    if (out.has(dir)) return;
    out.add(dir);
    for (const dep of ctx.charts.get(dir)?.localDependencies ?? []) addChart(dep.dir);
  };
  for (const release of [...firsts, ...mapped]) {
    for (const file of [
      ...release.definedIn,
      ...release.valueFiles.filter((v) => !v.inChart).map((v) => v.path),
      ...release.fileParameters.map((p) => p.path),
    ]) {
      out.add(file);
    }
    if (release.source) return undefined;
    addChart(release.chartDir);
  }
  return [...out].sort();
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
        async () => {
          const generatedApps = await expandApplicationSet(object.doc, object.file, ctx.files);
          for (const dir of await excludedByApplicationSet(object.doc, ctx.files)) ctx.excluded.add(dir);
          return generatedApps;
        },
      );
      const setNamespace = metaNamespace(object.doc);
      for (const doc of generated ?? []) {
        // Generated Applications are not part of the parent sync that applied the ApplicationSet:
        // the ApplicationSet's wave is what orders them, unless the template sets its own.
        if (setWave !== undefined && annotations(doc)[SYNC_WAVE] === undefined) {
          doc.metadata = { ...(doc.metadata as object), annotations: { ...annotations(doc), [SYNC_WAVE]: setWave } };
        }
        // The controller creates them in the ApplicationSet's own namespace, whatever the template says.
        if (setNamespace) doc.metadata = { ...(doc.metadata as object), namespace: setNamespace };
        apps.push({ doc, file, cluster, origin: parent ? origin : 'applicationset', definedIn, ancestors });
      }
    }
  }
  return apps;
}

/** How a cluster's roots that are not manifest files are built: its app-of-apps chart rendered, its kustomization built. */
function rootBuilders(cluster: ClusterDeclaration, ctx: Context, opts: ResolveOptions): RootBuilders {
  return {
    chart: async (dir) => {
      const chart = ctx.charts.get(dir);
      if (!chart)
        throw new HomelabError(`root ${dir} is not a chart matched by the chart globs (${ctx.layout.charts.join(', ')})`, 'add it to the chartGlobs option');
      if (!opts.renderChart)
        throw new HomelabError(`root ${dir} is an app-of-apps chart, but no chart renderer was given`, 'pass renderChart to resolveReleases');
      // As an install script renders it: release named after the directory, in argocd, with the chart's values.yaml.
      const release = createRelease({
        cluster: cluster.name,
        name: posix.basename(dir),
        chart: chart.name,
        chartDir: dir,
        namespace: 'argocd',
        definedIn: [dir],
      });
      return opts.renderChart(ctx.files.abs(dir), release.name, release.namespace, [], release);
    },
    kustomization: async (dir) => {
      if (!opts.buildKustomization)
        throw new HomelabError(`root ${dir} is a kustomization, but no kustomize build was given`, 'pass buildKustomization to resolveReleases');
      return opts.buildKustomization(dir);
    },
  };
}

/**
 * With roots, the ArgoCD objects in the directories an Application syncs as plain manifests: ArgoCD applies them, so
 * they are Applications of the cluster (the files ArgoCD reads there: directoryManifestFiles). The syncing
 * Application is their ancestor: a directory holding that very Application is one object, as for app-of-apps charts.
 */
async function followDirectories(app: FoundApp, ctx: Context): Promise<FoundApp[]> {
  const spec = isRecord(app.doc.spec) ? app.doc.spec : {};
  const sources = (Array.isArray(spec.sources) && spec.sources.length > 0 ? spec.sources : [spec.source]).filter(isRecord);
  const found: FoundApp[] = [];
  for (const source of sources) {
    if (source.chart !== undefined || typeof source.path !== 'string' || String(source.repoURL ?? '').startsWith('oci://')) continue;
    if (ctx.thisRepo && !ctx.thisRepo.has(normalizeRepoURL(String(source.repoURL ?? '')))) continue; // another repository
    const path = normalizePath(source.path);
    if (ctx.charts.has(path) || (await manifestSourceKind(path, source, ctx.files))?.kind !== 'directory') continue;
    for (const file of await directoryManifestFiles(path, isRecord(source.directory) ? source.directory : {}, ctx.files)) {
      const text = (await ctx.files.text(file)) ?? '';
      const objects = await isolated(
        ctx,
        file,
        () => mentionedCharts(text, ctx),
        async () => argoObjects(parseYamlDocuments(text, file), file),
      );
      found.push(...(await expandObjects(objects ?? [], app.cluster, 'application', undefined, [...app.ancestors, appKeyOf(app)], ctx)));
    }
  }
  return found;
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

/**
 * Identity of an Application object in its cluster (`app\0` keeps it apart from the release keys in `ancestors`). A
 * manifest with no namespace is applied into the control plane's (`argocd`), where the Applications ArgoCD reads live.
 */
function appKeyOf(app: FoundApp): string {
  return `app\0${app.cluster.name}\0${metaNamespace(app.doc) || CONTROL_PLANE_NAMESPACE}\0${appName(app)}`;
}

function metaNamespace(doc: Record<string, unknown>): string {
  return isRecord(doc.metadata) && typeof doc.metadata.namespace === 'string' ? doc.metadata.namespace : '';
}

/** One Application → its releases (one per chart source, local or upstream). */
async function mapApplication(app: FoundApp, ctx: Context): Promise<{ releases: Release[] }> {
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

  const pending: Promise<Release>[] = [];
  for (const written of sources) {
    // The repo-server merges the override files in a local source's directory (Image Updater's git write-back).
    const local = typeof written.path === 'string' && written.chart === undefined && !String(written.repoURL ?? '').startsWith('oci://');
    const thisRepo = !ctx.thisRepo || ctx.thisRepo.has(normalizeRepoURL(String(written.repoURL ?? '')));
    const overrides =
      local && thisRepo
        ? await mergeSourceOverrides(written, normalizePath(written.path as string), { name, namespace: metaNamespace(app.doc) }, ctx.files)
        : undefined;
    const source = overrides?.source ?? written;
    // Releases take a copy of `common` when they are built below, so this names the files for this source only.
    common.definedIn = overrides?.read.length ? [...app.definedIn, ...overrides.read] : app.definedIn;
    const helm = isRecord(source.helm) ? source.helm : {};
    const releaseName = optString(helm.releaseName, `${where}: helm.releaseName`) || name;
    const namespace = optString(helm.namespace, `${where}: helm.namespace`) || destinationNamespace || 'default';
    if (!helm.namespace && !destinationNamespace && !isRefOnly(source)) {
      ctx.warnings.push(`${where}: spec.destination.namespace is empty; rendering with namespace "default" as ArgoCD's helm template does`);
    }
    const repoURL = optString(source.repoURL, `${where}: source.repoURL`);
    const chartName = optString(source.chart, `${where}: source.chart`);
    const fromRepository = chartName !== '' || repoURL.startsWith('oci://');
    if (!fromRepository) {
      if (isRefOnly(source)) continue;
      if (ctx.thisRepo && !ctx.thisRepo.has(normalizeRepoURL(repoURL))) {
        ctx.warnings.push(
          `${where}: source ${repoURL} is another repository (not a remote of this checkout): its ${String(source.path ?? '.')} is not rendered`,
        );
        continue;
      }
    }
    if (source.plugin !== undefined && source.plugin !== null) {
      // ArgoCD hands such a source (a git path or a pulled chart) to a Config Management Plugin, a program of its
      // repo-server's sidecar: neither helm, kustomize nor a directory read gives what it renders.
      const plugin =
        isRecord(source.plugin) && typeof source.plugin.name === 'string' && source.plugin.name
          ? `plugin ${source.plugin.name}`
          : 'a plugin the repo-server discovers';
      throw new HomelabError(
        `${where}: source.plugin renders ${chartName || String(source.path ?? '.')} with ${plugin} (a Config Management Plugin), which homelab cannot run`,
        'leave this Application to ArgoCD, or commit what the plugin renders and point a directory or Kustomize source at it',
      );
    }
    if (fromRepository) {
      const targetRevision = optString(source.targetRevision, `${where}: source.targetRevision`);
      const upstream = { kind: 'upstream' as const, repoURL, chart: chartName, targetRevision };
      pending.push(
        buildRelease({ ...common, name: releaseName, namespace }, { chart: name, chartDir: '', source: upstream }, helm, refs, app.cluster, where, ctx.files),
      );
      continue;
    }
    const path = normalizePath(optString(source.path, `${where}: source.path`));
    const chart = ctx.charts.get(path);
    const manifests = chart ? undefined : await manifestSourceKind(path, source, ctx.files);
    if (manifests) {
      const base = { ...common, name, namespace: destinationNamespace || 'default' };
      pending.push(
        manifests.kind === 'kustomize'
          ? kustomizeRelease(base, manifests.kustomization, source, app.cluster, where, ctx.files)
          : Promise.resolve(directoryRelease(base, path, source, app.cluster, where)),
      );
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
    pending.push(
      buildRelease({ ...common, name: releaseName, namespace }, { chart: chart.name, chartDir: chart.dir }, helm, refs, app.cluster, where, ctx.files),
    );
  }
  return { releases: await Promise.all(pending) };
}

async function buildRelease(
  base: Pick<Release, 'cluster' | 'application' | 'origin' | 'definedIn' | 'project' | 'wave' | 'syncPolicy' | 'name' | 'namespace'>,
  chart: Pick<Release, 'chart' | 'chartDir' | 'source'>,
  helm: Record<string, unknown>,
  refs: Map<string, Record<string, unknown>>,
  cluster: ClusterDeclaration,
  where: string,
  files: RepoFiles,
): Promise<Release> {
  const ignoreMissingValueFiles = flag(helm.ignoreMissingValueFiles, `${where}: helm.ignoreMissingValueFiles`);
  const valueFiles: ValueFile[] = [];
  for (const raw of stringList(helm.valueFiles, `${where}: helm.valueFiles`)) {
    const valueFile = resolveValueFile(raw, chart, refs, where);
    // A file inside an upstream chart exists only once the chart is fetched: helm names it if it is missing.
    if (valueFile.inChart || (await files.isFile(valueFile.path))) valueFiles.push(valueFile);
    else if (valueFile.secret && !ignoreMissingValueFiles) {
      // A secrets file is usually shared by many Applications: the file is the problem, not whichever reads it first.
      throw new HomelabError(
        `${valueFile.path} does not exist, yet Applications read it as ${raw}`,
        `restore it (git restore ${valueFile.path}), or start a new one with hack/secrets set <chart>.<key> --file ${valueFile.path}`,
      );
    } else if (!ignoreMissingValueFiles) {
      throw new HomelabError(
        `${where}: value file ${raw} (${valueFile.path}) does not exist`,
        `create it, fix the path (relative to ${chart.chartDir || 'the repository root'}), or set helm.ignoreMissingValueFiles: true`,
      );
    }
  }
  const fileParameters = (Array.isArray(helm.fileParameters) ? helm.fileParameters : []).map((p) => {
    if (!isRecord(p) || typeof p.name !== 'string' || typeof p.path !== 'string') {
      throw new HomelabError(`${where}: helm.fileParameters entries need name and path`, 'e.g. { name: config, path: files/config.json }');
    }
    const file = resolveValueFile(p.path, chart, refs, where);
    if (file.inChart) {
      throw new HomelabError(
        `${where}: helm.fileParameters ${p.name}: a file inside an upstream chart is not supported`,
        `read a file of this repository ($ref/<path>)`,
      );
    }
    return { name: p.name, path: file.path };
  });
  const apiVersions = stringList(helm.apiVersions, `${where}: helm.apiVersions`);
  const kubeVersion = optString(helm.kubeVersion, `${where}: helm.kubeVersion`) || cluster.kubeVersion;
  return createRelease({
    ...base,
    ...chart,
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

function isRefOnly(source: Record<string, unknown>): boolean {
  return typeof source.ref === 'string' && source.ref !== '' && source.path === undefined && source.chart === undefined;
}

function stripSecret(raw: string): string {
  return raw.startsWith('secrets://') ? raw.slice('secrets://'.length) : raw;
}

// Constants: every value file of every release is resolved (a literal in a function is a new RegExp per call).
const SECRETS_SCHEME = /^secrets\+[\w-]+:\/\//;
const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
const GLOB_CHARACTERS = /[*?[]/;

/** ArgoCD's value file resolution (see the tables above), plus helm-secrets' `secrets://`. */
function resolveValueFile(raw: string, chart: Pick<Release, 'chartDir' | 'source'>, refs: Map<string, Record<string, unknown>>, where: string): ValueFile {
  const chartDir = chart.chartDir;
  const secret = raw.startsWith('secrets://');
  const rest = stripSecret(raw);
  const fail = (why: string, hint: string): never => {
    throw new HomelabError(`${where}: value file ${raw}: ${why}`, hint);
  };
  if (SECRETS_SCHEME.test(raw)) fail('only the plain secrets:// helm-secrets scheme is supported', 'write secrets://<path>');
  let path: string;
  if (rest.startsWith('$')) {
    const slash = rest.indexOf('/');
    const ref = rest.slice(1, slash < 0 ? undefined : slash);
    const source = refs.get(ref);
    if (!source) fail(`no source has ref: ${ref}`, `add a source with ref: ${ref} (known refs: ${[...refs.keys()].join(', ') || 'none'})`);
    if (source!.chart !== undefined) fail(`ref ${ref} is a Helm chart source`, 'a $ref must name a git source of this repository');
    path = normalizePath(slash < 0 ? '' : rest.slice(slash + 1));
    if (path === '') fail('no file after the ref', `write $${ref}/<path>`);
  } else if (URL_SCHEME.test(rest)) {
    return fail('remote value files are not supported', 'keep value files in the repository');
  } else if (rest.includes('$')) {
    return fail('environment variable substitution is not supported', 'write the path literally');
  } else if (chart.source?.kind === 'upstream') {
    if (secret)
      fail('a secrets:// file inside an upstream chart cannot be decrypted here', 'keep secrets in this repository and read them as secrets://$<ref>/<path>');
    const inChart = normalizePath(rest);
    if (inChart === '..' || inChart.startsWith('../'))
      fail('resolves outside the chart', 'name a file inside the chart, or one of this repository as $<ref>/<path>');
    return { raw, path: inChart, secret, inChart: true };
  } else {
    // normalizePath normalizes once: joining first would normalize twice, for every value file of every release.
    path = normalizePath(rest.startsWith('/') ? rest : `${chartDir}/${rest}`);
  }
  if (path === '..' || path.startsWith('../../')) fail('resolves outside the repository', 'ArgoCD refuses value files outside the repository');
  if (GLOB_CHARACTERS.test(path)) fail('value file globs are not supported', 'list the files explicitly');
  return { raw, path, secret };
}

const LEADING_SLASHES = /^\/+/;
const TRAILING_SLASHES = /\/+$/;

/** Workspace-relative POSIX path without `./`, trailing or leading slashes ('' is the root). */
export function normalizePath(p: string): string {
  const n = posix.normalize(`./${p.replace(LEADING_SLASHES, '')}`).replace(TRAILING_SLASHES, '');
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
