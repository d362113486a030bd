import { posix } from 'node:path';
import { HomelabError } from '../../model/errors.ts';
import { createRelease } from '../../model/release.ts';
import type { Chart, ClusterDeclaration, PulledChart, Release } from '../../model/types.ts';
import type { RepoFiles } from '../../workspace/repo-files.ts';
import { isRecord, optString, stringList } from '../../workspace/yaml-docs.ts';
import { readKustomization, type Kustomization } from './kustomize.ts';

/** The Release fields an Application gives every source, whatever its kind. */
export type SourceBase = Pick<Release, 'cluster' | 'application' | 'origin' | 'definedIn' | 'project' | 'wave' | 'syncPolicy' | 'name' | 'namespace'>;

/**
 * ArgoCD's source type for a path of this repository that is not a workspace chart: an explicit `directory:` wins,
 * else a kustomization file makes it Kustomize, else an existing directory is plain manifests. A directory holding a
 * Chart.yaml that is no workspace chart is left to the caller (a chart outside the chart globs, not manifests).
 */
export async function manifestSourceKind(
  path: string,
  source: Record<string, unknown>,
  files: RepoFiles,
): Promise<{ kind: 'kustomize'; kustomization: Kustomization } | { kind: 'directory' } | undefined> {
  if (!(await files.isDir(path)) || (await files.isFile(posix.join(path, 'Chart.yaml')))) return undefined;
  if (isRecord(source.directory) && source.kustomize === undefined) return { kind: 'directory' };
  const kustomization = await readKustomization(path, files);
  return kustomization ? { kind: 'kustomize', kustomization } : { kind: 'directory' };
}

/**
 * A plain-directory source as one release: ArgoCD applies the manifests it reads (render/directory.ts). The release
 * is named after the Application (there is no helm release name); `chart` is set by `nameSourceProjects`.
 */
export function directoryRelease(base: SourceBase, path: string, source: Record<string, unknown>, cluster: ClusterDeclaration, where: string): Release {
  const directory = isRecord(source.directory) ? source.directory : {};
  if (directory.recurse !== undefined && typeof directory.recurse !== 'boolean') {
    throw new HomelabError(`${where}: source.directory.recurse must be true or false`, 'write recurse: true');
  }
  return createRelease({
    ...base,
    chart: path,
    chartDir: path,
    kubeVersion: cluster.kubeVersion || undefined,
    apiVersions: [...cluster.apiVersions],
    source: {
      kind: 'directory',
      path,
      recurse: directory.recurse === true,
      include: optString(directory.include, `${where}: source.directory.include`),
      exclude: optString(directory.exclude, `${where}: source.directory.exclude`),
    },
  });
}

/**
 * A Kustomize source as one release: the whole `kustomize build` ArgoCD runs, with the Application's
 * `source.kustomize` options and the cluster's build options (render/kustomize.ts). The charts its `helmCharts`
 * inflate (local ones, and those pulled from a repository into the chart cache) are rendered inside it, transforms
 * applied, and get no release of their own.
 */
export async function kustomizeRelease(
  base: SourceBase,
  kustomization: Kustomization,
  source: Record<string, unknown>,
  cluster: ClusterDeclaration,
  where: string,
  files: RepoFiles,
): Promise<Release> {
  if (source.kustomize !== undefined && source.kustomize !== null && !isRecord(source.kustomize)) {
    throw new HomelabError(`${where}: source.kustomize must be a mapping`, 'e.g. kustomize: { namePrefix: home- }');
  }
  const options = isRecord(source.kustomize) ? source.kustomize : {};
  const kubeVersion = optString(options.kubeVersion, `${where}: source.kustomize.kubeVersion`) || cluster.kubeVersion;
  const apiVersions = stringList(options.apiVersions, `${where}: source.kustomize.apiVersions`);
  return createRelease({
    ...base,
    chart: kustomization.dir,
    chartDir: kustomization.dir,
    kubeVersion: kubeVersion || undefined,
    apiVersions: apiVersions.length > 0 ? apiVersions : [...cluster.apiVersions],
    source: {
      kind: 'kustomize',
      path: kustomization.dir,
      options,
      buildOptions: cluster.kustomizeBuildOptions ?? '',
      repoURL: optString(source.repoURL, `${where}: source.repoURL`),
      targetRevision: optString(source.targetRevision, `${where}: source.targetRevision`),
      ...(await kustomizeInputs(kustomization, files)),
    },
  });
}

const REMOTE = /^[a-z][a-z0-9+.-]*:\/\/|^(github\.com|gitlab\.com|bitbucket\.org)\//i;

/**
 * What a build reads: the directories besides its own (local `resources`, `components` and `bases` that are
 * kustomizations, each `helmCharts` chart under its chart home), and the charts kustomize would pull (`repo:` with no
 * copy in the chart home), which are rendered from the chart cache instead of being downloaded into the repository.
 */
async function kustomizeInputs(kustomization: Kustomization, files: RepoFiles): Promise<{ reads: string[]; pulls: PulledChart[] }> {
  const reads: string[] = [];
  const pulls: PulledChart[] = [];
  await followKustomization(kustomization, files, new Set(), reads, pulls);
  return { reads: [...new Set(reads)].filter((dir) => dir !== kustomization.dir), pulls };
}

async function followKustomization(kustomization: Kustomization, files: RepoFiles, seen: Set<string>, reads: string[], pulls: PulledChart[]): Promise<void> {
  if (seen.has(kustomization.dir)) return;
  seen.add(kustomization.dir);
  const { doc, dir, file } = kustomization;
  reads.push(dir);
  for (const key of ['resources', 'components', 'bases']) {
    const entries = Array.isArray(doc[key]) ? doc[key] : [];
    for (const entry of entries) {
      if (typeof entry !== 'string' || REMOTE.test(entry)) continue;
      const target = posix.normalize(posix.join(dir, entry)).replace(/\/+$/, '');
      if (target === '..' || target.startsWith('../')) continue;
      const nested = (await files.isDir(target)) ? await readKustomization(target === '.' ? '' : target, files) : undefined;
      if (nested) await followKustomization(nested, files, seen, reads, pulls);
    }
  }
  const globals = isRecord(doc.helmGlobals) ? doc.helmGlobals : {};
  const chartHome = optString(globals.chartHome, `${file}: helmGlobals.chartHome`) || 'charts';
  const charts = Array.isArray(doc.helmCharts) ? doc.helmCharts : [];
  for (const [index, entry] of charts.entries()) {
    if (!isRecord(entry) || typeof entry.name !== 'string') {
      throw new HomelabError(`${file}: helmCharts[${index}] needs a name`, 'name the chart directory under the chart home');
    }
    const chartDir = posix.normalize(posix.join(dir, chartHome, entry.name));
    const version = typeof entry.version === 'string' ? entry.version : '';
    const repo = typeof entry.repo === 'string' ? entry.repo : '';
    // Where kustomize's helm generator looks for an already pulled chart before it pulls.
    const pulled = repo && version ? posix.join(posix.dirname(chartDir), `${entry.name}-${version}`, entry.name) : chartDir;
    if (await files.isFile(`${pulled}/Chart.yaml`)) reads.push(pulled);
    else if (repo) pulls.push({ dir: pulled, repoURL: repo, chart: entry.name, version });
    else throw new HomelabError(`${file}: helmCharts[${index}]: no chart at ${chartDir}`, 'fix helmGlobals.chartHome or the chart name');
  }
}

/**
 * Nx project names for directory and Kustomize sources: the name of the Application that deploys the directory
 * (`root`, `whoami`), or the whole path joined with `-` (`kustomize-whoami-home`) when several Applications deploy
 * it under different names or a chart has that name. Directories deployed by same-named Applications of different
 * environments (each environment's `root`) share the name: one project, one configuration per environment.
 */
export function nameSourceProjects(releases: Release[], charts: Chart[]): void {
  const sourced = releases.filter((r) => r.source?.kind === 'directory' || r.source?.kind === 'kustomize');
  const apps = new Map<string, Set<string>>();
  const envs = new Map<string, Set<string>>();
  for (const r of sourced) {
    apps.set(r.chartDir, (apps.get(r.chartDir) ?? new Set()).add(r.application));
    envs.set(r.chartDir, (envs.get(r.chartDir) ?? new Set()).add(r.cluster));
  }
  const wanted = new Map([...apps].map(([dir, names]) => [dir, names.size === 1 ? [...names][0] : undefined]));
  const taken = new Set(charts.map((c) => c.name));
  const dirsWanting = new Map<string, string[]>();
  for (const [dir, name] of wanted) if (name) dirsWanting.set(name, [...(dirsWanting.get(name) ?? []), dir]);
  /** One directory per environment: no environment deploys two of them. */
  const oneEnvironmentEach = (dirs: string[]) => {
    const seen = dirs.flatMap((dir) => [...envs.get(dir)!]);
    return new Set(seen).size === seen.length;
  };
  const name = (dir: string) => {
    const app = wanted.get(dir);
    return app && !taken.has(app) && oneEnvironmentEach(dirsWanting.get(app)!) ? app : dir.split('/').join('-') || 'root';
  };
  for (const release of sourced) release.chart = name(release.chartDir);
}
