import { posix } from 'node:path';
import { compare, type OnBroken, unlessBroken } from './charts.ts';
import { HomelabError } from '../model/errors.ts';
import type { WorkspaceLayout } from './layout.ts';
import { RepoFiles } from './repo-files.ts';
import type { ClusterDeclaration } from '../model/types.ts';
import { isRecord, parseYamlDocument } from './yaml-docs.ts';

export const CLUSTER_FILE = 'cluster.yaml';

/**
 * Every directory matching a cluster glob, with its `cluster.yaml` (kubeContext '' when absent). A directory whose
 * cluster.yaml is broken is passed to `onBroken` and left out; without `onBroken` it is an error.
 */
export async function discoverClusters(layout: WorkspaceLayout, files = new RepoFiles(layout.root), onBroken?: OnBroken): Promise<ClusterDeclaration[]> {
  const dirs = new Set<string>();
  for (const glob of layout.clusters) for (const dir of await files.glob(glob, 'doublestar', 'dir')) dirs.add(dir);
  const read = await Promise.all([...dirs].sort().map((dir) => unlessBroken(dir, readClusterDeclaration(dir, files), onBroken)));
  const clusters = read.filter((c): c is ClusterDeclaration => c !== undefined);
  const seen = new Map<string, string>();
  for (const cluster of clusters) {
    const other = seen.get(cluster.name);
    if (other) {
      throw new HomelabError(`two cluster directories are named ${cluster.name}: ${other} and ${cluster.dir}`, 'rename one directory');
    }
    seen.set(cluster.name, cluster.dir);
  }
  return clusters.sort((a, b) => compare(a.name, b.name));
}

export async function readClusterDeclaration(dir: string, files: RepoFiles): Promise<ClusterDeclaration> {
  const file = `${dir}/${CLUSTER_FILE}`;
  const text = await files.text(file);
  const declaration: ClusterDeclaration = { name: posix.basename(dir), dir, kubeContext: '', apiVersions: [] };
  if (text === undefined) return declaration;
  const doc = parseYamlDocument(text, file);
  if (!isRecord(doc)) throw new HomelabError(`${file}: expected a mapping`, 'write kubeContext: <context> (server, kubeVersion, apiVersions optional)');
  const str = (key: string): string | undefined => {
    const value = doc[key];
    if (value === undefined || value === null) return undefined;
    // A bare 1.30 would be read as the number 1.3: insist on strings.
    if (typeof value !== 'string') throw new HomelabError(`${file}: ${key} must be a string`, `quote it: ${key}: "${String(value)}"`);
    return value;
  };
  for (const key of Object.keys(doc)) {
    if (!['kubeContext', 'server', 'kubeVersion', 'apiVersions', 'roots', 'kustomizeBuildOptions'].includes(key)) {
      throw new HomelabError(`${file}: unknown key ${key}`, 'allowed keys: kubeContext, server, kubeVersion, apiVersions, roots, kustomizeBuildOptions');
    }
  }
  const apiVersions = doc.apiVersions ?? [];
  if (!Array.isArray(apiVersions) || !apiVersions.every((v) => typeof v === 'string')) {
    throw new HomelabError(`${file}: apiVersions must be a list of strings`, 'e.g. apiVersions: [monitoring.coreos.com/v1]');
  }
  declaration.kubeContext = str('kubeContext') ?? '';
  const server = str('server');
  const kubeVersion = str('kubeVersion');
  if (server) declaration.server = server;
  if (kubeVersion) declaration.kubeVersion = kubeVersion;
  const kustomizeBuildOptions = str('kustomizeBuildOptions');
  if (kustomizeBuildOptions) declaration.kustomizeBuildOptions = kustomizeBuildOptions;
  declaration.apiVersions = apiVersions;
  if (doc.roots !== undefined && doc.roots !== null) declaration.roots = readRoots(doc.roots, file);
  return declaration;
}

/** `roots:` — repository-relative files or directories, as ArgoCD's own paths are written. */
function readRoots(value: unknown, file: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v.trim() !== '')) {
    throw new HomelabError(`${file}: roots must be a list of paths`, 'e.g. roots: [bootstrap/root.yaml] (relative to the repository root)');
  }
  return value.map((root: string) => {
    const path = posix.normalize(root.trim().replace(/^\/+/, '')).replace(/\/+$/, '');
    if (path === '.' || path.startsWith('../') || path === '..') {
      throw new HomelabError(`${file}: root ${root} is not a path inside the repository`, 'write it relative to the repository root, e.g. bootstrap/root.yaml');
    }
    return path;
  });
}
