import { posix } from 'node:path';
import { HomelabError } from '../../model/errors.ts';
import { matchGlob } from '../../workspace/glob.ts';
import type { RepoFiles } from '../../workspace/repo-files.ts';
import { isRecord, parseYamlDocuments } from '../../workspace/yaml-docs.ts';
import { KUSTOMIZATION_FILES, readKustomization } from './kustomize.ts';
import { argoObjects, type ArgoObject } from './manifests.ts';

/**
 * How a root that is not a manifest file becomes YAML: an app-of-apps chart rendered with helm (release name = chart
 * directory name, namespace argocd, its values.yaml: what `helm template <dir> | kubectl apply` in an install script
 * does), a kustomization built as `kustomize build` does.
 */
export interface RootBuilders {
  chart(chartDir: string): Promise<string>;
  kustomization(dir: string): Promise<string>;
}

/**
 * The local files a `kustomize build` of a directory reads: its own files and, recursively, those of its local
 * `resources` and `components` (a directory, or one file); remote ones are kustomize's to fetch.
 */
export async function kustomizationInputs(dir: string, files: RepoFiles, seen = new Set<string>()): Promise<string[]> {
  if (seen.has(dir)) return [];
  seen.add(dir);
  const own = await files.walk(dir, 'file');
  for (const file of own) await files.text(file);
  const doc = (await readKustomization(dir, files))?.doc ?? {};
  const refs = [doc.resources, doc.components]
    .flatMap((list) => (Array.isArray(list) ? list : []))
    .filter((r): r is string => typeof r === 'string' && !r.includes('://'));
  const out = [...own];
  for (const ref of refs) {
    const path = posix.normalize(posix.join(dir, ref));
    if (path.startsWith('../') || own.includes(path)) continue;
    if (await files.isDir(path)) out.push(...(await kustomizationInputs(path, files, seen)));
    else if ((await files.text(path)) !== undefined) out.push(path);
  }
  return out;
}

/** What kind of entry point a root path is. */
export type RootKind = 'manifests' | 'argocd-apps-values' | 'argocd-apps-chart' | 'chart' | 'kustomization';

/**
 * The ArgoCD objects a cluster starts from when its entry point is not a plain manifest in the cluster directory:
 * - a manifest file (applied once by an install script: `kubectl apply -f bootstrap/root.yaml`);
 * - a values file of argo-helm's `argocd-apps` chart (`applications:`/`applicationsets:`, as a list before chart 2.0
 *   and as a map keyed by name since), turned into the objects its templates render;
 * - an app-of-apps chart directory, rendered; when it renders an Application deploying itself, that Application is
 *   the root (ArgoCD renders the chart with that Application's values from then on);
 * - an umbrella chart installing ArgoCD with argocd-apps as a dependency (argo-cd beside it, both from a Helm
 *   repository), read as that dependency renders its part of the chart's values (argocdAppsDependencyValues);
 * - a kustomization directory, built (kustomize-built ApplicationSets).
 */
export async function rootObjects(root: string, files: RepoFiles, build: RootBuilders): Promise<ArgoObject[]> {
  const kind = await rootKind(root, files);
  // Objects built from a chart or a kustomization are named after a real file of it (errors name it, Nx hashes it).
  if (kind === 'chart') {
    const label = (await files.isFile(`${root}/values.yaml`)) ? `${root}/values.yaml` : `${root}/Chart.yaml`;
    const objects = argoObjects(parseYamlDocuments(await build.chart(root), label), label);
    const self = objects.filter((o) => o.kind === 'Application' && sourcePaths(o.doc).includes(root));
    return self.length > 0 ? self : objects;
  }
  if (kind === 'kustomization') {
    // Read through `files`, so a cached resolution is keyed on everything the build reads.
    await kustomizationInputs(root, files);
    const label = (await readKustomization(root, files))?.file ?? root;
    return argoObjects(parseYamlDocuments(await build.kustomization(root), label), label);
  }
  if (kind === 'argocd-apps-chart') return argocdAppsObjects((await argocdAppsDependencyValues(root, files))!, `${root}/values.yaml`);
  const docs = parseYamlDocuments((await files.text(root)) ?? '', root);
  return kind === 'manifests' ? argoObjects(docs, root) : argocdAppsObjects(docs[0] as Record<string, unknown>, root);
}

/** What a root path holds; one line naming the path when it is none of these. */
export async function rootKind(root: string, files: RepoFiles): Promise<RootKind> {
  if (await files.isDir(root)) {
    if (await files.isFile(`${root}/Chart.yaml`)) return (await argocdAppsDependencyValues(root, files)) ? 'argocd-apps-chart' : 'chart';
    for (const name of KUSTOMIZATION_FILES) if (await files.isFile(`${root}/${name}`)) return 'kustomization';
    throw new HomelabError(`root ${root} is a directory with neither a Chart.yaml nor a kustomization`, 'name the file that holds the root Application');
  }
  const text = await files.text(root);
  if (text === undefined)
    throw new HomelabError(`root ${root} does not exist`, 'fix the roots entry of cluster.yaml (paths are relative to the repository root)');
  const docs = parseYamlDocuments(text, root);
  if (argoObjects(docs, root).length > 0) return 'manifests';
  if (isArgocdAppsValues(docs[0])) return 'argocd-apps-values';
  throw new HomelabError(
    `root ${root} holds no ArgoCD Application or ApplicationSet, nor argocd-apps values (applications:, applicationsets:)`,
    'name the file that holds the root Application',
  );
}

/**
 * The argocd-apps values of an umbrella chart (`dependencies:` holding argo-helm's `argocd-apps`, usually beside
 * `argo-cd`): its values.yaml under the dependency's alias, else its name — what Helm hands that dependency. Read as
 * the argocd-apps chart renders them (argocdAppsObjects), so resolving needs neither the network nor a render of the
 * argo-cd chart. Undefined when there is no such dependency, its `condition` is false, those values hold no
 * `applications`/`applicationsets`, or the chart's own templates or other values (argo-cd's `extraObjects`) hold
 * ArgoCD objects: then it is rendered whole.
 */
export async function argocdAppsDependencyValues(chartDir: string, files: RepoFiles): Promise<Record<string, unknown> | undefined> {
  const chart = parseYamlDocuments((await files.text(`${chartDir}/Chart.yaml`)) ?? '', `${chartDir}/Chart.yaml`)[0];
  const dependencies = isRecord(chart) && Array.isArray(chart.dependencies) ? chart.dependencies.filter(isRecord) : [];
  const dependency = dependencies.find((d) => d.name === 'argocd-apps');
  if (!dependency) return undefined;
  const values = parseYamlDocuments((await files.text(`${chartDir}/values.yaml`)) ?? '', `${chartDir}/values.yaml`)[0];
  if (!isRecord(values)) return undefined;
  // Helm's condition: the first of its comma-separated value paths that holds a boolean decides.
  const condition = typeof dependency.condition === 'string' ? dependency.condition.split(',') : [];
  const enabled = condition
    .map((p) =>
      p
        .trim()
        .split('.')
        .reduce<unknown>((v, k) => (isRecord(v) ? v[k] : undefined), values),
    )
    .find((v) => typeof v === 'boolean');
  const own = values[typeof dependency.alias === 'string' && dependency.alias ? dependency.alias : 'argocd-apps'];
  if (enabled === false || !isArgocdAppsValues(own) || (await rendersArgoObjects(chartDir, files))) return undefined;
  // Argo objects elsewhere in the values (argo-cd's extraObjects) come out only of a render of the whole chart.
  if (Object.values(values).some((v) => v !== own && holdsArgoObject(v))) return undefined;
  return own;
}

function holdsArgoObject(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(holdsArgoObject);
  if (!isRecord(value)) return false;
  if (typeof value.apiVersion === 'string' && value.apiVersion.startsWith('argoproj.io/') && /^Application(Set)?$/.test(String(value.kind))) return true;
  return Object.values(value).some(holdsArgoObject);
}

/** Whether a chart's own templates render an Application or ApplicationSet. */
export async function rendersArgoObjects(chartDir: string, files: RepoFiles): Promise<boolean> {
  for (const file of await files.walk(`${chartDir}/templates`, 'file')) {
    if (/^\s*kind:\s*["']?Application(Set)?["']?\s*$/m.test((await files.text(file)) ?? '')) return true;
  }
  return false;
}

/** A values file of the argocd-apps chart: a mapping with `applications` or `applicationsets` as a list or a map. */
export function isArgocdAppsValues(doc: unknown): doc is Record<string, unknown> {
  if (!isRecord(doc)) return false;
  return ['applications', 'applicationsets'].some((key) => Array.isArray(doc[key]) || (isRecord(doc[key]) && Object.keys(doc[key]).length > 0));
}

/** Fields the argocd-apps templates copy into each object's spec, as they are. */
const APPLICATION_SPEC = ['source', 'sources', 'destination', 'syncPolicy', 'revisionHistoryLimit', 'ignoreDifferences', 'info', 'sourceHydrator'];
const APPLICATIONSET_SPEC = [
  'goTemplate',
  'goTemplateOptions',
  'generators',
  'ignoreApplicationDifferences',
  'strategy',
  'syncPolicy',
  'template',
  'templatePatch',
];

/**
 * The objects argo-helm's argocd-apps chart renders from its values (templates/applications.yaml and
 * applicationsets.yaml): name from the map key (chart >= 2.0) or the entry's `name` (list form), `namespace` only
 * when given, `additionalAnnotations`/`additionalLabels` as annotations/labels, the spec fields copied as they are;
 * an empty map entry renders nothing.
 */
export function argocdAppsObjects(values: Record<string, unknown>, file: string): ArgoObject[] {
  const out: ArgoObject[] = [];
  for (const [key, kind, fields] of [
    ['applications', 'Application', APPLICATION_SPEC],
    ['applicationsets', 'ApplicationSet', APPLICATIONSET_SPEC],
  ] as const) {
    const entries = values[key];
    const named: [string, unknown][] = Array.isArray(entries)
      ? entries.map((e) => [isRecord(e) && typeof e.name === 'string' ? e.name : '', e])
      : isRecord(entries)
        ? Object.entries(entries)
        : [];
    for (const [name, data] of named) {
      // A map entry set to null is how a values overlay switches an Application off.
      if (!data && !Array.isArray(entries)) continue;
      if (!isRecord(data) || name === '') {
        throw new HomelabError(
          `${file}: ${key} entry ${name || '(no name)'} is not an object with a name`,
          `write ${key}: { <name>: { project, source, destination } }`,
        );
      }
      const metadata: Record<string, unknown> = { name };
      if (isRecord(data.additionalAnnotations)) {
        metadata.annotations = Object.fromEntries(Object.entries(data.additionalAnnotations).map(([k, v]) => [k, String(v)]));
      }
      if (isRecord(data.additionalLabels)) metadata.labels = data.additionalLabels;
      if (data.namespace) metadata.namespace = data.namespace;
      const spec: Record<string, unknown> = kind === 'Application' ? { project: data.project } : {};
      for (const field of fields) if (data[field] !== undefined && data[field] !== null) spec[field] = data[field];
      out.push({ kind, file, doc: { apiVersion: 'argoproj.io/v1alpha1', kind, metadata, spec } });
    }
  }
  return out;
}

/**
 * The files an Application's directory source applies, as ArgoCD's repo-server finds them (findManifests): YAML and
 * JSON files of the directory, below it too with `recurse`, `exclude`/`include` matched against the path relative
 * to it with ArgoCD's glob (`*` crosses `/`, `{a,b}` alternates). Only files holding ArgoCD objects matter here.
 */
export async function directoryManifestFiles(dir: string, directory: Record<string, unknown>, files: RepoFiles): Promise<string[]> {
  const recurse = directory.recurse === true;
  const include = typeof directory.include === 'string' ? directory.include : '';
  const exclude = typeof directory.exclude === 'string' ? directory.exclude : '';
  const all = recurse ? await files.walk(dir, 'file') : (await files.entries(dir)).filter((e) => e.file).map((e) => (dir === '' ? e.name : `${dir}/${e.name}`));
  const out: string[] = [];
  for (const file of all) {
    const rel = dir === '' ? file : file.slice(dir.length + 1);
    if (!/\.(ya?ml|json)$/.test(file)) continue;
    if (exclude && matchGlob(exclude, rel, 'argocd')) continue;
    if (include && !matchGlob(include, rel, 'argocd')) continue;
    if (((await files.text(file)) ?? '').includes('argoproj.io')) out.push(file);
  }
  return out;
}

/** Workspace-relative paths of an Application's sources. */
export function sourcePaths(doc: Record<string, unknown>): string[] {
  const spec = isRecord(doc.spec) ? doc.spec : {};
  const sources = [spec.source, ...(Array.isArray(spec.sources) ? spec.sources : [])].filter(isRecord);
  return sources.flatMap((s) => (typeof s.path === 'string' ? [posix.normalize(s.path.replace(/^\/+/, '')).replace(/\/+$/, '')] : []));
}
