import { createRequire } from 'node:module';
import path, { posix } from 'node:path';
import { installPackagesTask, logger, readJson, readNxJson, updateNxJson, writeJson, type NxJsonConfiguration, type Tree } from '@nx/devkit';
import { CLUSTER_FILE } from '../../core/workspace/clusters.ts';
import { errorLine, HomelabError } from '../../core/model/errors.ts';
import { normalizeLayout, PLUGIN_NAME } from '../../core/workspace/layout.ts';
import { isRecord, parseYamlDocuments } from '../../core/workspace/yaml-docs.ts';
import { packageRoot } from '../../package-paths.ts';
import { resolveTree, TreeFiles } from '../tree-files.ts';
import { detectLayout, syncedAsDirectory, type DetectedLayout } from './detect.ts';
import type { Resolution } from '../../core/resolve/releases.ts';

export interface InitGeneratorSchema {
  /** Files (or chart/kustomization directories) ArgoCD starts from, written to cluster.yaml `roots`; default: detected. */
  root?: string[];
  /** Globs of chart directories; default: detected. */
  chartGlobs?: string[];
  /** Globs of cluster directories; default: detected. */
  clusterGlobs?: string[];
  /** Kubernetes version written into new cluster.yaml files (helm --kube-version, validation). */
  kubeVersion?: string;
  /** Leave package.json alone. */
  skipPackageJson?: boolean;
  /** Do not run the package manager after package.json changed. */
  skipInstall?: boolean;
  /** Accepted for `nx add`: existing versions are never changed anyway. */
  keepExistingVersions?: boolean;
  /** Accepted for `nx add`: scripts are only ever added, never changed. */
  updatePackageScripts?: boolean;
}

/** package.json scripts the plugin adds when their names are free. */
export const SCRIPTS: Record<string, string> = {
  'homelab:check': 'nx run workspace:check',
  'homelab:lint': 'nx run-many -t lint validate',
  'homelab:render': 'nx run-many -t render',
};

const GITIGNORE = ['.nx/cache', '.nx/workspace-data'];

/**
 * `nx g @homelab/nx:init` (also run by `nx add @homelab/nx`): adds the plugin to an existing GitOps repository.
 * Finds the charts and the ArgoCD manifests (or takes the globs), proves the resolver reads them, and writes the
 * nx.json plugin entry, package.json devDependencies and scripts, .gitignore lines, and a cluster.yaml where a
 * cluster has none and ArgoCD would not try to apply it. Idempotent: a second run changes nothing.
 */
export default async function initGenerator(tree: Tree, schema: InitGeneratorSchema) {
  try {
    return await init(tree, schema);
  } catch (err) {
    throw new Error(errorLine(err));
  }
}

async function init(tree: Tree, schema: InitGeneratorSchema) {
  const existing = pluginEntry(tree.exists('nx.json') ? readNxJson(tree) : null);
  const configured = isRecord(existing?.options) ? existing.options : {};
  const detected = await detectLayout(new TreeFiles(tree));
  const notes: string[] = [];
  const chartGlobs = schema.chartGlobs ?? (configured.chartGlobs as string[] | undefined) ?? detected.chartGlobs;
  if (chartGlobs.length === 0) throw new HomelabError('no Helm chart found (no directory with a Chart.yaml)', 'pass --chartGlobs, e.g. --chartGlobs=charts/*');

  // Where ArgoCD starts: the file given, else (on first adoption: a configured layout stays as it is) what install
  // scripts, argocd-apps values or a self-deploying chart show.
  const found = schema.root || configured.clusterGlobs !== undefined ? [] : detected.entryPoints;
  const roots = schema.root ?? found.map((e) => e.path);
  for (const e of found) notes.push(`root ${e.path} (found: ${e.reason})`);
  let clusterGlobs = schema.clusterGlobs ?? (configured.clusterGlobs as string[] | undefined);
  if (roots.length > 0) {
    const clusterDir = await rootsClusterDir(tree, clusterGlobs, roots, detected);
    await declareRoots(tree, clusterDir, roots, schema.kubeVersion, notes);
    clusterGlobs ??= [clusterDir];
  }
  if (clusterGlobs === undefined && detected.clusterProblem) throw detected.clusterProblem;
  clusterGlobs ??= detected.clusterGlobs;
  if (clusterGlobs.length === 0) {
    throw new HomelabError(
      'no ArgoCD Application or ApplicationSet found, and no install script, argocd-apps values or app-of-apps chart that starts ArgoCD',
      'pass --root with the file ArgoCD starts from (e.g. --root bootstrap/root.yaml)',
    );
  }

  const layout = normalizeLayout(tree.root, { charts: chartGlobs, clusters: clusterGlobs });
  await writeClusterDeclarations(tree, layout.clusters, detected.manifestFiles, schema.kubeVersion, notes);
  // The resolver must read the repository as the plugin will: a layout it cannot resolve is not written.
  let resolution: Resolution;
  try {
    resolution = await resolveTree(tree, layout);
  } catch (err) {
    const [message, hint] = err instanceof HomelabError ? [err.message, err.hint] : [errorLine(err), ''];
    throw new HomelabError(
      `the ArgoCD manifests do not resolve with chartGlobs ${chartGlobs.join(', ')} and clusterGlobs ${clusterGlobs.join(', ')}: ${message}`,
      hint || 'fix the manifest, or pass --chartGlobs/--clusterGlobs/--root',
    );
  }
  const warnings = reportResolution(resolution, chartGlobs, clusterGlobs, notes);

  writeNxJson(tree, { chartGlobs, clusterGlobs }, schema.chartGlobs !== undefined || schema.clusterGlobs !== undefined);
  const packageChanged = schema.skipPackageJson ? false : writePackageJson(tree);
  writeGitignore(tree);
  for (const note of notes) logger.info(`homelab: ${note}`);
  for (const warning of warnings) logger.warn(`homelab: ${warning}`);
  return packageChanged && !schema.skipInstall ? () => installPackagesTask(tree) : undefined;
}

/**
 * What init says about the resolution: charts, clusters, releases ArgoCD deploys (charts nothing deploys are named,
 * never counted as releases), and — loudly — zero releases or objects that could not be resolved.
 */
function reportResolution(resolution: Resolution, chartGlobs: string[], clusterGlobs: string[], notes: string[]): string[] {
  const deployed = resolution.releases.filter((r) => r.origin !== 'convention');
  const undeployed = resolution.charts.filter((c) => c.type === 'application' && !deployed.some((r) => r.chartDir === c.dir));
  const s = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  notes.push(
    `${s(resolution.charts.length, 'chart')} (${chartGlobs.join(', ')}), ${s(resolution.clusters.length, 'cluster')} (${clusterGlobs.join(', ')}), ` +
      `${s(deployed.length, 'release')} from ArgoCD manifests${undeployed.length > 0 ? `; nothing deploys ${undeployed.map((c) => c.dir).join(', ')}` : ''}`,
  );
  const warnings = resolution.warnings.map((w) => `warning: ${w}`);
  for (const finding of resolution.findings ?? []) warnings.push(`broken: ${finding.message}${finding.hint ? ` (${finding.hint})` : ''}`);
  if (deployed.length === 0) {
    warnings.push(
      `WARNING: 0 releases resolved: no ArgoCD Application reached from ${clusterGlobs.join(', ')} deploys a chart of ${chartGlobs.join(', ')}. ` +
        'Every target would render charts by convention only. Pass --root with the file ArgoCD starts from (an Application, argocd-apps values, a kustomization or an app-of-apps chart).',
    );
  }
  return warnings;
}

/**
 * The cluster directory whose cluster.yaml lists the roots: the one given or configured, else the one declared, else
 * the first root's directory — unless ArgoCD syncs that directory as plain manifests (it would apply cluster.yaml).
 */
async function rootsClusterDir(tree: Tree, clusterGlobs: string[] | undefined, roots: string[], detected: DetectedLayout): Promise<string> {
  if (clusterGlobs !== undefined) {
    const files = new TreeFiles(tree);
    const dirs = new Set<string>();
    for (const glob of clusterGlobs) {
      for (const dir of await files.glob(glob, 'doublestar', 'dir')) dirs.add(dir);
      if (!/[*?[{]/.test(glob)) dirs.add(glob.replace(/\/+$/, ''));
    }
    if (dirs.size !== 1) {
      throw new HomelabError(
        `--root needs one cluster directory for its cluster.yaml, but ${clusterGlobs.join(', ')} names ${dirs.size}`,
        'pass --clusterGlobs with one directory',
      );
    }
    return [...dirs][0];
  }
  const declared = detected.clusterDirs.filter((d) => tree.exists(`${d}/${CLUSTER_FILE}`));
  if (declared.length === 1) return declared[0];
  const first = roots[0];
  const dir = posix.dirname(tree.isFile(first) ? first : first.replace(/\/+$/, ''));
  const manifests = detected.manifestFiles.flatMap((file) => parseYamlDocuments(tree.read(file, 'utf-8') ?? '', file).filter(isRecord));
  const syncer = dir === '.' ? undefined : syncedAsDirectory(dir, manifests);
  if (dir === '.' || syncer !== undefined || detected.chartDirs.some((c) => dir === c || dir.startsWith(`${c}/`))) {
    throw new HomelabError(
      `no place for the cluster.yaml that names root ${first}: ${dir === '.' ? 'it is at the repository root' : syncer !== undefined ? `Application ${syncer} syncs ${dir} as plain manifests` : `${dir} is inside a chart`}`,
      'pass --clusterGlobs with a directory for it, e.g. --clusterGlobs=clusters/home (init creates it)',
    );
  }
  return dir;
}

/** Writes (or completes) `<clusterDir>/cluster.yaml` with the roots: the resolver starts there and follows ArgoCD. */
async function declareRoots(tree: Tree, clusterDir: string, roots: string[], kubeVersion: string | undefined, notes: string[]): Promise<void> {
  const file = `${clusterDir}/${CLUSTER_FILE}`;
  if (!tree.exists(file)) {
    tree.write(file, clusterDeclaration(clusterDir, kubeVersion, roots));
    notes.push(`${file}: kubeContext ${posix.basename(clusterDir)}, roots ${roots.join(', ')}`);
    return;
  }
  const text = tree.read(file, 'utf-8') ?? '';
  const doc = parseYamlDocuments(text, file)[0];
  const current = isRecord(doc) && Array.isArray(doc.roots) ? doc.roots : undefined;
  if (current === undefined) {
    tree.write(file, `${text}${text.endsWith('\n') || text === '' ? '' : '\n'}${ROOTS_COMMENT}\nroots:\n${roots.map((r) => `  - ${r}`).join('\n')}\n`);
    notes.push(`${file}: roots ${roots.join(', ')} added`);
  } else if (JSON.stringify(current) !== JSON.stringify(roots)) {
    notes.push(`${file} keeps its roots (${current.join(', ')}); found ${roots.join(', ')}: edit it if ArgoCD starts elsewhere`);
  }
}

const ROOTS_COMMENT = '# Where ArgoCD starts (repository-relative): the resolver reads these and follows what they deploy.';

function clusterDeclaration(dir: string, kubeVersion: string | undefined, roots: string[]): string {
  return [
    `# Cluster declaration for the homelab toolkit (written by nx g @homelab/nx:init): where ${dir} deploys to.`,
    '# ArgoCD never reads this file. Check the kube-context name; the toolkit refuses any other context.',
    `kubeContext: ${posix.basename(dir)}`,
    '# API server the kube-context must point at:',
    '# server: https://192.0.2.10:6443',
    '# Kubernetes version renders assume (helm --kube-version) and validation checks against:',
    kubeVersion ? `kubeVersion: "${kubeVersion}"` : '# kubeVersion: "1.33.0"',
    ...(roots.length > 0 ? [ROOTS_COMMENT, 'roots:', ...roots.map((r) => `  - ${r}`)] : []),
    '',
  ].join('\n');
}

function pluginEntry(nxJson: NxJsonConfiguration | null): { plugin: string; options?: unknown } | undefined {
  for (const entry of nxJson?.plugins ?? []) {
    if (typeof entry === 'string' ? entry === PLUGIN_NAME : entry.plugin === PLUGIN_NAME) return typeof entry === 'string' ? { plugin: entry } : entry;
  }
  return undefined;
}

/** Adds the plugin entry; explicit globs replace configured ones, detected globs never override configured ones. */
function writeNxJson(tree: Tree, globs: { chartGlobs: string[]; clusterGlobs: string[] }, explicit: boolean): void {
  if (!tree.exists('nx.json')) {
    writeJson(tree, 'nx.json', { $schema: './node_modules/nx/schemas/nx-schema.json', plugins: [{ plugin: PLUGIN_NAME, options: globs }] });
    return;
  }
  const nxJson = readNxJson(tree) ?? {};
  const plugins = nxJson.plugins ?? [];
  const index = plugins.findIndex((p) => (typeof p === 'string' ? p : p.plugin) === PLUGIN_NAME);
  if (index < 0) {
    plugins.push({ plugin: PLUGIN_NAME, options: globs });
  } else {
    const entry = plugins[index];
    const options = typeof entry === 'string' || !isRecord(entry.options) ? {} : entry.options;
    const next = {
      ...options,
      ...(explicit || options.chartGlobs === undefined ? { chartGlobs: globs.chartGlobs } : {}),
      ...(explicit || options.clusterGlobs === undefined ? { clusterGlobs: globs.clusterGlobs } : {}),
    };
    if (JSON.stringify(next) === JSON.stringify(options)) return;
    plugins[index] = { plugin: PLUGIN_NAME, options: next };
  }
  updateNxJson(tree, { ...nxJson, plugins });
}

/** devDependencies (nx, @nx/devkit, the plugin) and scripts, each only when absent. Returns whether it changed. */
function writePackageJson(tree: Tree): boolean {
  const require = createRequire(import.meta.url);
  const versions: Record<string, string> = {
    nx: (require('nx/package.json') as { version: string }).version,
    '@nx/devkit': (require('@nx/devkit/package.json') as { version: string }).version,
  };
  // A plugin that is a package of this very workspace (npm workspaces) is no dependency to add.
  const relative = path.relative(tree.root, packageRoot);
  if (relative.startsWith('..') || relative.split(path.sep).includes('node_modules')) {
    versions[PLUGIN_NAME] = `^${(require(path.join(packageRoot, 'package.json')) as { version: string }).version}`;
  }
  const before = tree.exists('package.json') ? (tree.read('package.json', 'utf-8') ?? '') : '';
  const json: Record<string, unknown> = before ? readJson(tree, 'package.json') : { name: posix.basename(tree.root), private: true };
  const deps = { ...(isRecord(json.dependencies) ? json.dependencies : {}) };
  const devDependencies: Record<string, unknown> = { ...(isRecord(json.devDependencies) ? json.devDependencies : {}) };
  for (const [name, version] of Object.entries(versions)) if (deps[name] === undefined && devDependencies[name] === undefined) devDependencies[name] = version;
  const scripts: Record<string, unknown> = { ...(isRecord(json.scripts) ? json.scripts : {}) };
  for (const [name, command] of Object.entries(SCRIPTS)) scripts[name] ??= command;
  const next = { ...json, scripts, devDependencies };
  if (before && JSON.stringify(next) === JSON.stringify(json)) return false;
  writeJson(tree, 'package.json', next);
  return true;
}

function writeGitignore(tree: Tree): void {
  const text = tree.exists('.gitignore') ? (tree.read('.gitignore', 'utf-8') ?? '') : '';
  const lines = new Set(text.split('\n').map((l) => l.trim()));
  // `.nx/` or `.nx` already covers both.
  if (lines.has('.nx') || lines.has('.nx/')) return;
  const missing = GITIGNORE.filter((l) => !lines.has(l) && !lines.has(`${l}/`));
  if (missing.length === 0) return;
  tree.write('.gitignore', `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}# Nx (homelab plugin)\n${missing.join('\n')}\n`);
}

/**
 * A cluster directory without cluster.yaml gets one (kube-context = directory name; kubeVersion when given),
 * unless an Application syncs that directory as plain manifests: ArgoCD would try to apply the file.
 */
async function writeClusterDeclarations(
  tree: Tree,
  clusterGlobs: string[],
  manifestFiles: string[],
  kubeVersion: string | undefined,
  notes: string[],
): Promise<void> {
  const manifests = manifestFiles.flatMap((file) => parseYamlDocuments(tree.read(file, 'utf-8') ?? '', file).filter(isRecord));
  const files = new TreeFiles(tree);
  const dirs = new Set<string>();
  for (const glob of clusterGlobs) for (const dir of await files.glob(glob, 'doublestar', 'dir')) dirs.add(dir);
  for (const dir of [...dirs].sort()) {
    const file = `${dir}/${CLUSTER_FILE}`;
    if (tree.exists(file)) continue;
    const syncer = syncedAsDirectory(dir, manifests);
    if (syncer !== undefined) {
      notes.push(
        `${file} not written: Application ${syncer} syncs ${dir} as plain manifests and ArgoCD would try to apply it; renders use helm's default Kubernetes version and validate needs a kubeVersion`,
      );
      continue;
    }
    const name = posix.basename(dir);
    tree.write(file, clusterDeclaration(dir, kubeVersion, []));
    notes.push(`${file}: kubeContext ${name}${kubeVersion ? `, kubeVersion ${kubeVersion}` : ' (set kubeVersion: renders and validation need it)'}`);
  }
}
