/**
 * What a local chart release's render reads, as one content digest per side: every file of its chart and of the
 * `file://` charts below it (the packaged archives in charts/ are made from those), its value files and file
 * parameters, the release fields `helm template` receives, the helm version and the toolkit build. Files are named by
 * their git blob id, computed the same way for a commit (git's own listing) and for the working tree (hashed here), so
 * equal digests at base and head mean byte-identical inputs, and a digest of either side names the same render.
 * Releases whose inputs are not all in the repository get no digest: upstream charts (a version range resolves
 * anew), charts with a dependency from a Helm repository, charts holding a symlink (helm follows it anywhere),
 * directory and Kustomize sources (rendered without helm, cheaply, every time).
 */
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { renderedFields } from './affected.ts';
import { git } from '../workspace/git.ts';
import { GitBlobs } from '../workspace/git-blobs.ts';
import { chartAt } from '../model/lookup.ts';
import type { Chart, Release } from '../model/types.ts';
import { isRecord, parseYamlDocument } from '../workspace/yaml-docs.ts';

/** The files of one side: a commit's tree, or the working tree. */
export interface SideTree {
  /** Blob ids of every file below `dir`, by workspace-relative path; undefined when one is a symlink. */
  below(dir: string): Promise<Map<string, string> | undefined>;
  /** Blob id of one file, undefined when it does not exist. */
  blob(rel: string): Promise<string | undefined>;
  text(rel: string): Promise<string | undefined>;
}

/** Everything a render depends on beyond the repository's files. */
export interface RenderIdentity {
  helmVersion: string;
  toolkit: string;
}

/** The tree of a commit, from one `git ls-tree` (blob ids come with the listing; no file is read). */
export async function commitTree(root: string, commit: string): Promise<SideTree> {
  const blobs = new Map<string, string>();
  const links = new Set<string>();
  const objects = new GitBlobs(root);
  for (const line of (await git(root, ['ls-tree', '-r', '-z', '--full-tree', commit])).split('\0')) {
    const match = /^(\d+) blob ([0-9a-f]+)\t(.+)$/s.exec(line);
    if (!match) continue;
    blobs.set(match[3], match[2]);
    if (match[1] === '120000') links.add(match[3]);
  }
  return {
    below: async (dir) => {
      const out = new Map<string, string>();
      for (const [rel, blob] of blobs) {
        if (!rel.startsWith(`${dir}/`)) continue;
        if (links.has(rel)) return undefined;
        out.set(rel, blob);
      }
      return out;
    },
    blob: async (rel) => blobs.get(rel),
    text: async (rel) => {
      const blob = blobs.get(rel);
      return blob === undefined ? undefined : objects.read(blob);
    },
  };
}

/** The working tree: what a render at head reads, committed or not. */
export function workingTree(root: string): SideTree {
  const blob = async (rel: string) => {
    const bytes = await readFile(path.join(root, rel)).catch(() => undefined);
    return bytes && createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
  };
  return {
    below: async (dir) => {
      const entries = await readdir(path.join(root, dir), { recursive: true, withFileTypes: true }).catch(() => []);
      const out = new Map<string, string>();
      for (const entry of entries) {
        if (entry.isSymbolicLink()) return undefined;
        if (!entry.isFile()) continue;
        const rel = path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/');
        const id = await blob(rel);
        if (id !== undefined) out.set(rel, id);
      }
      return out;
    },
    blob: async (rel) => ((await lstat(path.join(root, rel)).catch(() => undefined))?.isSymbolicLink() ? undefined : blob(rel)),
    text: (rel) => readFile(path.join(root, rel), 'utf8').catch(() => undefined),
  };
}

/** The digest of everything the release's render reads on this side, or undefined when that is not all known. */
export async function renderDigest(release: Release, charts: readonly Chart[], tree: SideTree, identity: RenderIdentity): Promise<string | undefined> {
  if (release.source) return undefined;
  const files = new Map<string, string>();
  const visited = new Set<string>();
  const visit = async (dir: string): Promise<boolean> => {
    if (visited.has(dir)) return true;
    visited.add(dir);
    const chart = chartAt(charts, dir);
    if (!chart || !(await onlyLocalDependencies(chart, tree))) return false;
    const below = await tree.below(dir);
    if (!below) return false;
    // The archives `helm dependency build` packs from the file:// charts visited next.
    const built = (rel: string) => chart.hasDependencies && /^charts\/[^/]+\.tgz$/.test(rel.slice(dir.length + 1));
    for (const [rel, blob] of below) if (!built(rel)) files.set(rel, blob);
    for (const dep of chart.localDependencies) if (!(await visit(dep.dir))) return false;
    return true;
  };
  if (!(await visit(release.chartDir))) return undefined;
  for (const rel of [...release.valueFiles.map((v) => v.path), ...release.fileParameters.map((p) => p.path)]) {
    files.set(rel, (await tree.blob(rel)) ?? '');
  }
  const inputs = { identity, release: renderedFields(release), files: [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) };
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex');
}

/** A dependency from a Helm repository comes from outside the repository: its chart has no digest. */
async function onlyLocalDependencies(chart: Chart, tree: SideTree): Promise<boolean> {
  if (!chart.hasDependencies) return true;
  const text = await tree.text(`${chart.dir}/Chart.yaml`);
  if (text === undefined) return false;
  let meta: unknown;
  try {
    meta = parseYamlDocument(text, `${chart.dir}/Chart.yaml`);
  } catch {
    return false; // the render fails on it, and says why
  }
  const deps = isRecord(meta) && Array.isArray(meta.dependencies) ? meta.dependencies : [];
  return deps.every((dep) => isRecord(dep) && typeof dep.repository === 'string' && dep.repository.startsWith('file://'));
}
