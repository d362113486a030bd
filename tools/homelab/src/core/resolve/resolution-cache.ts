/**
 * Resolution cache. A resolution is a function of what the resolver read through RepoFiles (Chart.yaml files,
 * ArgoCD manifests, which files exist, directory listings), of the layout and of the resolver's code — plus, for
 * app-of-apps charts, of every file helm read to render them and of the helm binary. The last resolution of a
 * layout is kept in `<root>/node_modules/.cache/homelab/resolution-<layout>.json` with the content hash of each of
 * those inputs, and reused only while every one of them still hashes the same. So the plugin, each executor process
 * and each hack script resolve once per change instead of once per chart and per process.
 *
 * A resolution holds no secret: it comes from git-tracked manifests, and app-of-apps charts may not read secrets
 * files (render.ts refuses). No cache is written where the workspace has no node_modules (temp worktrees).
 */
import { hash as hashOnce } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { inputStamps, stampsHold, type Stamps } from './input-stamps.ts';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { WorkspaceLayout } from '../workspace/layout.ts';
import { gitRemoteURLs } from '../workspace/git-remotes.ts';
import type { Resolution } from './releases.ts';
import { RepoFiles } from '../workspace/repo-files.ts';
import { toolkitFingerprint } from '../workspace/toolkit-fingerprint.ts';
import { writeCacheEntry } from '../workspace/atomic-write.ts';
import type { Release } from '../model/types.ts';
import { chartAt } from '../model/lookup.ts';

/** What a fresh resolution used beyond RepoFiles: the app-of-apps releases it rendered with helm. */
export interface Computed {
  resolution: Resolution;
  rendered: Release[];
}

interface Entry {
  key: string;
  /** workspace-relative path → hash of its text ('' when the file did not exist). */
  texts: [string, string][];
  /** `file:<path>` / `dir:<path>` → what isFile/isDir answered. */
  answers: [string, boolean][];
  /** workspace-relative directory → hash of its listing (listings used as a whole). */
  listings: [string, string][];
  /** The app-of-apps releases rendered with helm, and every file helm read for them (hashed as bytes). */
  rendered: Release[];
  files: [string, string][];
  /** `<bin> <version>` of the helm that rendered app-of-apps charts. */
  helm?: string;
  /** The stat of every file and directory above (none for app-of-apps charts, or while one was fresh). */
  stamps?: Stamps;
  resolution: Resolution;
}

const MISSING = '';
// One-shot: a Hash object per input costs more than hashing a small file (thousands of them at scale).
const sha256 = (data: string | Buffer) => hashOnce('sha256', data, 'hex');

export async function cachedResolution(
  layout: WorkspaceLayout,
  helmIdentity: () => Promise<string>,
  compute: (files: RepoFiles) => Promise<Computed>,
): Promise<Resolution> {
  const dir = path.join(layout.root, 'node_modules', '.cache', 'homelab');
  const useCache = existsSync(path.join(layout.root, 'node_modules'));
  // The checkout's remotes decide which git sources are this repository's (they are read outside RepoFiles).
  const key = sha256(JSON.stringify([layout.charts, layout.clusters, layout.projectNames, gitRemoteURLs(layout.root), toolkitFingerprint()]));
  const file = path.join(dir, `resolution-${sha256(JSON.stringify([layout.charts, layout.clusters, layout.projectNames])).slice(0, 16)}.json`);
  if (useCache) {
    const entry = readEntry(file);
    if (entry?.key === key) {
      if (entry.stamps && stampsHold(layout.root, entry.stamps)) return entry.resolution;
      const since = Date.now();
      if (await stillValid(entry, layout.root, helmIdentity)) {
        // Valid by content: stat the inputs now, so the next run need not read them again.
        const stamps = entry.rendered.length === 0 ? inputStamps(layout.root, inputPaths(entry), since) : undefined;
        if (stamps) writeCacheEntry(file, JSON.stringify({ ...entry, stamps }));
        return entry.resolution;
      }
    }
  }
  const since = Date.now();
  const files = new RepoFiles(layout.root);
  const { resolution, rendered } = await compute(files);
  // Only what survives JSON exactly is stored (a YAML timestamp in valuesObject, say, would not): otherwise resolve each time.
  if (useCache && survivesJson(resolution)) {
    writeCacheEntry(file, JSON.stringify(await describe(key, files, resolution, rendered, helmIdentity, since)));
  }
  return resolution;
}

/**
 * What an entry's stamps cover: each file read (present or not) and each directory whose listing answered something.
 * A file read as missing from such a directory needs no stat of its own (creating it changes the directory): every
 * chart's `.argocd-source*.yaml` would be a third of the stats. App-of-apps entries are left out: what helm read for
 * them is found by walking their charts, checked by content.
 */
function inputPaths(entry: Pick<Entry, 'texts' | 'answers' | 'listings'>): string[] {
  const dirs = new Set<string>();
  for (const [question] of entry.answers) dirs.add(path.posix.dirname(question.slice(question.indexOf(':') + 1)));
  for (const [rel] of entry.listings) dirs.add(rel === '' ? '.' : rel);
  const paths = new Set(dirs);
  for (const [rel, hash] of entry.texts) if (hash !== MISSING || !dirs.has(path.posix.dirname(rel))) paths.add(rel);
  return [...paths].sort();
}

/**
 * Whether JSON gives `value` back deeply equal: plain objects and arrays of strings, booleans, null and finite numbers.
 * One walk: a round trip and a deep comparison cost ~70 ms at a thousand releases.
 */
function survivesJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (typeof value !== 'object') return false;
  if (Array.isArray(value)) return Object.keys(value).length === value.length && value.every(survivesJson);
  if (Object.getPrototypeOf(value) !== Object.prototype || Object.getOwnPropertySymbols(value).length > 0) return false;
  return Object.values(value).every(survivesJson);
}

async function describe(
  key: string,
  files: RepoFiles,
  resolution: Resolution,
  rendered: Release[],
  helmIdentity: () => Promise<string>,
  since: number,
): Promise<Entry> {
  const reads = await files.reads();
  const inputs = {
    texts: reads.texts.map(([rel, text]): [string, string] => [rel, text === undefined ? MISSING : sha256(text)]),
    answers: reads.answers,
    listings: reads.listings.map(([rel, entries]): [string, string] => [rel, sha256(JSON.stringify(entries))]),
  };
  const stamps = rendered.length === 0 ? inputStamps(files.root, inputPaths(inputs), since) : undefined;
  return {
    key,
    ...inputs,
    rendered,
    files: hashRendered(files.root, resolution, rendered),
    ...(rendered.length > 0 ? { helm: await helmIdentity() } : {}),
    ...(stamps ? { stamps } : {}),
    resolution,
  };
}

/**
 * What helm reads to render an app-of-apps release: its chart and the charts it depends on through `file://`
 * (their own files; the archives in charts/ are rebuilt from those), its value files and file parameters.
 */
function renderedFiles(root: string, resolution: Resolution, rendered: Release[]): string[] {
  const out = new Set<string>();
  const visit = (dir: string) => {
    const chart = chartAt(resolution.charts, dir);
    for (const rel of listFiles(root, dir)) out.add(rel);
    for (const dep of chart?.localDependencies ?? []) if (!out.has(`${dep.dir}/Chart.yaml`)) visit(dep.dir);
  };
  for (const release of rendered) {
    visit(release.chartDir);
    release.valueFiles.forEach((v) => out.add(v.path));
    release.fileParameters.forEach((p) => out.add(p.path));
  }
  return [...out].sort();
}

function listFiles(root: string, dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((d) => d.isFile())
    .map((d) => path.relative(root, path.join(d.parentPath, d.name)).split(path.sep).join('/'))
    .filter((rel) => !rel.slice(dir.length + 1).startsWith('charts/'));
}

function hashRendered(root: string, resolution: Resolution, rendered: Release[]): [string, string][] {
  return renderedFiles(root, resolution, rendered).map((rel) => [rel, hashFile(root, rel)]);
}

function hashFile(root: string, rel: string): string {
  try {
    return sha256(readFileSync(path.join(root, rel)));
  } catch {
    return MISSING;
  }
}

async function stillValid(entry: Entry, root: string, helmIdentity: () => Promise<string>): Promise<boolean> {
  const files = new RepoFiles(root);
  for (const [rel, hash] of entry.texts) {
    const text = await files.text(rel);
    if ((text === undefined ? MISSING : sha256(text)) !== hash) return false;
  }
  for (const [question, answer] of entry.answers) {
    const rel = question.slice(question.indexOf(':') + 1);
    if ((question.startsWith('file:') ? await files.isFile(rel) : await files.isDir(rel)) !== answer) return false;
  }
  for (const [rel, hash] of entry.listings) {
    if (sha256(JSON.stringify(await files.entries(rel))) !== hash) return false;
  }
  // Recomputed, not just rehashed: a file added to an app-of-apps chart changes the list.
  if (entry.rendered.length > 0 && !isDeepStrictEqual(hashRendered(root, entry.resolution, entry.rendered), entry.files)) return false;
  if (entry.helm !== undefined && entry.helm !== (await helmIdentity())) return false;
  return true;
}

function readEntry(file: string): Entry | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Entry;
  } catch {
    return undefined;
  }
}
