import { posix } from 'node:path';
import { argoObjects } from '../../core/resolve/argocd/manifests.ts';
import { CLUSTER_FILE } from '../../core/workspace/clusters.ts';
import { HomelabError } from '../../core/model/errors.ts';
import type { RepoFiles } from '../../core/workspace/repo-files.ts';
import { isRecord, parseYamlDocuments } from '../../core/workspace/yaml-docs.ts';
import { findEntryPoints, type EntryPoint } from './entry-points.ts';

/** Where an existing GitOps repository keeps its charts and its ArgoCD manifests. */
export interface DetectedLayout {
  /** Chart directories (a Chart.yaml, not inside another chart). */
  chartDirs: string[];
  /** Files holding ArgoCD Applications/ApplicationSets, outside charts. */
  manifestFiles: string[];
  /** Cluster directories: each holds one cluster's manifests. */
  clusterDirs: string[];
  chartGlobs: string[];
  clusterGlobs: string[];
  /** Why no cluster directory could be picked (manifests spread over the root): thrown only when init needs one. */
  clusterProblem?: HomelabError;
  /** Where ArgoCD starts when that is not a manifest inside the tree (entry-points.ts). */
  entryPoints: EntryPoint[];
}

/**
 * Charts are directories holding a Chart.yaml (subcharts and vendored charts inside a chart do not count);
 * ArgoCD manifests are YAML files outside charts with argoproj.io Applications or ApplicationSets. A cluster
 * directory is a directory with a cluster.yaml declaration, else the deepest directory holding every manifest
 * (one cluster). Entry points outside that tree (install scripts, argocd-apps values, self-deploying app-of-apps
 * charts) are listed too. Globs generalise sibling directories: `charts/a` + `charts/b` → `charts/*`,
 * `k8s/charts/media/a` + `k8s/charts/infra/b` → `k8s/charts/*\/*`.
 */
export async function detectLayout(files: RepoFiles): Promise<DetectedLayout> {
  const all = await files.walk('', 'file');
  const chartFiles = all
    .filter((f) => posix.basename(f) === 'Chart.yaml')
    .map((f) => posix.dirname(f))
    .map((d) => (d === '.' ? '' : d));
  const chartDirs = chartFiles
    .filter((dir) => dir !== '' && !chartFiles.some((other) => other !== dir && (other === '' || dir.startsWith(`${other}/`))))
    .sort();
  const inChart = (file: string) => chartDirs.some((dir) => file.startsWith(`${dir}/`));

  const manifestFiles: string[] = [];
  for (const file of all.filter((f) => /\.(ya?ml|json)$/.test(f) && !inChart(f))) {
    const text = (await files.text(file)) ?? '';
    if (!text.includes('argoproj.io')) continue;
    let docs: unknown[];
    try {
      docs = parseYamlDocuments(text, file);
    } catch {
      continue; // not ours to judge: a broken unrelated file
    }
    if (argoObjects(docs, file).length > 0) manifestFiles.push(file);
  }

  const declared = all
    .filter((f) => posix.basename(f) === CLUSTER_FILE && !inChart(f))
    .map((f) => posix.dirname(f))
    .filter((d) => d !== '.');
  let clusterDirs: string[] = [];
  let clusterProblem: HomelabError | undefined;
  if (declared.length > 0) {
    clusterDirs = declared.sort();
  } else if (manifestFiles.length > 0) {
    const ancestor = commonDir(manifestFiles.map((f) => posix.dirname(f)));
    if (ancestor === '') {
      clusterProblem = new HomelabError(
        `ArgoCD manifests are spread over the repository root (${manifestFiles.slice(0, 3).join(', ')}${manifestFiles.length > 3 ? ', …' : ''})`,
        "pass --root with the file ArgoCD starts from, or --clusterGlobs with the directory (or directories) holding one cluster's manifests each",
      );
    } else {
      clusterDirs = [ancestor];
    }
  }
  return {
    chartDirs,
    manifestFiles,
    clusterDirs,
    clusterProblem,
    entryPoints: await findEntryPoints(files, all, chartDirs, manifestFiles),
    chartGlobs: await generalize(chartDirs, files, (dir) => chartDirs.includes(dir)),
    clusterGlobs: await generalize(clusterDirs, files, (dir) => clusterDirs.includes(dir) || manifestFiles.some((f) => f.startsWith(`${dir}/`))),
  };
}

/** The deepest directory containing all the given directories ('' for the root). */
export function commonDir(dirs: string[]): string {
  if (dirs.length === 0) return '';
  const parts = dirs.map((d) => (d === '.' || d === '' ? [] : d.split('/')));
  const out: string[] = [];
  for (let i = 0; parts.every((p) => i < p.length && p[i] === parts[0][i]); i++) out.push(parts[0][i]);
  return out.join('/');
}

/**
 * Globs for a set of directories: a segment becomes `*` where siblings differ, and a directory's parent becomes
 * `<parent>/*` only when every subdirectory of that parent belongs (so `*` adds nothing unintended today, and
 * picks up the next chart or cluster added beside them).
 */
async function generalize(dirs: string[], files: RepoFiles, belongs: (dir: string) => boolean): Promise<string[]> {
  const globs = new Set<string>();
  for (const dir of dirs) {
    const parent = posix.dirname(dir);
    const siblings = (await files.entries(parent === '.' ? '' : parent)).filter((e) => e.dir).map((e) => (parent === '.' ? e.name : `${parent}/${e.name}`));
    // Never `*` at the top level: that would claim every top-level directory.
    globs.add(parent !== '.' && siblings.every(belongs) ? `${parent}/*` : dir);
  }
  // Merge globs that differ in exactly one segment below a shared first one
  // (`k8s/charts/media/*`, `k8s/charts/infra/*` → `k8s/charts/*/*`; `apps/*` and `charts/*` stay apart).
  let merged = [...globs];
  for (let changed = true; changed; ) {
    changed = false;
    outer: for (let i = 0; i < merged.length; i++) {
      for (let j = i + 1; j < merged.length; j++) {
        const a = merged[i].split('/');
        const b = merged[j].split('/');
        if (a.length !== b.length) continue;
        const diff = a.map((seg, k) => (seg === b[k] ? -1 : k)).filter((k) => k >= 0);
        if (diff.length !== 1 || diff[0] === 0) continue;
        a[diff[0]] = '*';
        merged = [...merged.filter((_, k) => k !== i && k !== j), a.join('/')];
        changed = true;
        break outer;
      }
    }
  }
  return [...new Set(merged)].sort();
}

/** Directory Applications that would apply a cluster.yaml written into `clusterDir` (ArgoCD cannot apply it). */
export function syncedAsDirectory(clusterDir: string, manifests: Record<string, unknown>[]): string | undefined {
  for (const doc of manifests) {
    if (doc.kind !== 'Application' || !isRecord(doc.spec)) continue;
    const sources = Array.isArray(doc.spec.sources) ? doc.spec.sources : [doc.spec.source];
    for (const source of sources.filter(isRecord)) {
      if (typeof source.path !== 'string' || source.chart !== undefined) continue;
      const path = posix.normalize(source.path.replace(/^\/+/, '')).replace(/\/+$/, '');
      const recurse = isRecord(source.directory) && source.directory.recurse === true;
      if (path === clusterDir || (recurse && (path === '.' || clusterDir.startsWith(`${path}/`)))) {
        return isRecord(doc.metadata) ? String(doc.metadata.name ?? '') : '';
      }
    }
  }
  return undefined;
}
