/**
 * `affected`: which chart tasks a change between two commits can alter, sharper than Nx's file-level view.
 *
 * 1. The range: base/head with the git edge cases handled (git.ts: push to main, shallow clones).
 * 2. Nx decides from files (each task's exact inputs, plugin/targets.ts): `nx show projects --affected -t …`.
 * 3. SOPS files are opaque to Nx, so Nx is asked again without them, and a chart that consumes a changed
 *    secrets file comes back only when its templates read a changed key path its releases receive (value-reads.ts,
 *    secret-changes.ts; of the shared store, only their chart's key): decrypted values are compared when a key is at
 *    hand, ciphertexts otherwise.
 * 4. A change confined to library templates reaches, through Nx, every chart built on the library: a chart whose
 *    templates include none of the changed defines is left out (library-templates.ts).
 * 5. What Nx cannot see from head's project graph: the release definitions of both commits are compared
 *    (a deleted or moved Application file, a generator config), and deleted charts are reported.
 * The result never drops a task Nx would run for a reason other than an unread secret key or an unused library define.
 */
import { isDeepStrictEqual } from 'node:util';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { HomelabError } from '../model/errors.ts';
import {
  changedFiles,
  changedFilesToWorkingTree,
  commitOf,
  EMPTY_TREE,
  readAt,
  resolveRange,
  withWorktree,
  type ChangedFile,
  type GitRange,
  type RangeOptions,
} from '../workspace/git.ts';
import { GitRevisionFiles } from '../workspace/git-files.ts';
import { normalizeLayout, readLayoutFromNxJson, type WorkspaceLayout } from '../workspace/layout.ts';
import { failureLine, runTool } from '../exec/process.ts';
import { resolveReleases, type Resolution, type ResolutionFinding } from '../resolve/releases.ts';
import { resolveWorkspace } from '../resolve/workspace.ts';
import { RepoFiles } from '../workspace/repo-files.ts';
import { secretFileChange, type Decrypt, type SecretFileChange } from './secret-changes.ts';
import type { Chart, Release } from '../model/types.ts';
import { chartValueReads, readsPath } from '../secrets/index.ts';
import { SHARED_SECRETS } from '../helm/values.ts';
import { isRecord } from '../workspace/yaml-docs.ts';
import { chartAt, chartNamed, requireChartAt } from '../model/lookup.ts';
import { libraryChange, unusedLibraryChange } from './library-templates.ts';

/** Nx's file-level answer: the projects owning a task of `targets` that `files` reach. */
export type NxAffected = (root: string, files: string[], targets: string[]) => Promise<string[]>;

export interface AffectedOptions extends Pick<RangeOptions, 'base' | 'head' | 'deepen'> {
  /**
   * Nx targets whose tasks are selected (default `render`). Charts added beyond Nx's answer (secrets readers,
   * redefined releases) are application charts: they own the template, render and lint targets.
   */
  targets?: string[];
  /** Decrypts SOPS documents for exact secrets comparison; without it ciphertexts are compared (keyless). */
  decrypt?: Decrypt;
  /**
   * Head is the working tree: uncommitted changes (tracked edits and untracked files that are not ignored) count as
   * changed. Nx, the resolver and the render read the working tree anyway; this makes the file list agree.
   */
  workingTree?: boolean;
  /** Replaces the real `nx` CLI (tests of the core only). */
  nx?: NxAffected;
}

export interface ReleaseRef {
  cluster: string;
  name: string;
  chart: string;
}

export interface AffectedResult {
  range: GitRange;
  targets: string[];
  files: ChangedFile[];
  /** Whether uncommitted changes of the working tree were counted (head is the working tree). */
  workingTree: boolean;
  /** Projects to run, sorted. */
  projects: string[];
  /** Why each project is in `projects`. */
  reasons: Record<string, string[]>;
  /** What Nx alone selects from the changed files. */
  nxProjects: string[];
  /** Projects Nx selects that are left out: only secrets keys they never read, or deleted charts, changed. */
  skipped: { project: string; why: string }[];
  secretChanges: { file: string; change: SecretFileChange }[];
  /** Charts of the base commit that no longer exist (nothing to run; their releases are gone). */
  removedCharts: string[];
  /** Releases of the affected charts at head, and at base (those include removed releases). */
  releases: { head: ReleaseRef[]; base: ReleaseRef[] };
  warnings: string[];
}

/** The resolutions each result was computed from, for the render stage to reuse (not part of the printed result). */
const resolved = new WeakMap<AffectedResult, { head: Resolution; base?: Resolution }>();

/** Head's resolution and base's (undefined when the base could not be resolved) behind a result of computeAffected. */
export function resolutionsOf(result: AffectedResult): { head: Resolution; base?: Resolution } | undefined {
  return resolved.get(result);
}

export async function computeAffected(root: string, options: AffectedOptions = {}): Promise<AffectedResult> {
  const targets = options.targets?.length ? options.targets : ['render'];
  const { layout, warning } = await readLayoutFromNxJson(root);
  const warnings = warning ? [warning] : [];
  const range = await resolveRange(root, { ...options, defaultBase: await nxDefaultBase(root) });
  if (range.note) warnings.push(range.note);
  const checkedOut = await commitOf(root, 'HEAD');
  if (checkedOut !== range.head) {
    throw new HomelabError(
      `head ${options.head ?? 'HEAD'} is not the checked-out commit`,
      `check it out first (git checkout ${range.head}): Nx reads the project graph from the working tree`,
    );
  }
  const files = options.workingTree ? await changedFilesToWorkingTree(root, range.base) : await changedFiles(root, range.base, range.head);
  const result: AffectedResult = {
    range,
    targets,
    files,
    workingTree: options.workingTree ?? false,
    projects: [],
    reasons: {},
    nxProjects: [],
    skipped: [],
    secretChanges: [],
    removedCharts: [],
    releases: { head: [], base: [] },
    warnings,
  };
  if (files.length === 0) return result;

  const nx = options.nx ?? nxFileAffected;
  const [head, base] = await Promise.all([resolveWorkspace(layout), resolveAtCommit(layout, range.base, warnings)]);
  resolved.set(result, { head, base });
  const paths = files.map((f) => f.path);
  const secretFiles = new Set([...head.releases, ...(base?.releases ?? [])].flatMap((r) => r.valueFiles.filter((v) => v.secret).map((v) => v.path)));
  const changedSecrets = paths.filter((p) => secretFiles.has(p));
  // Nx counts a deleted project's files against every task; a deleted chart has no task left to run.
  const headDirs = new Set(head.charts.map((c) => c.dir));
  const goneDirs = (base?.charts ?? []).filter((c) => !headDirs.has(c.dir)).map((c) => c.dir);
  const inGoneChart = (p: string) => goneDirs.some((dir) => p.startsWith(`${dir}/`));
  const forNx = paths.filter((p) => !secretFiles.has(p) && !inGoneChart(p));

  const nxOthers = forNx.length > 0 ? await nx(root, forNx, targets) : [];
  result.nxProjects = (forNx.length === paths.length ? nxOthers : await nx(root, paths, targets)).sort();
  const reasons = new Map<string, string[]>();
  const add = (project: string, why: string) => reasons.set(project, [...(reasons.get(project) ?? []), why]);
  const unusedLibrary = await libraryRefinement(layout.root, paths, head, base, range.base, nxOthers);
  for (const project of nxOthers) if (!unusedLibrary.has(project)) add(project, 'nx: a changed file is one of its task inputs');

  // Application charts, and the projects of releases whose manifests are not a local chart (upstream, directory,
  // kustomize sources): each is an Nx project named after its releases' `chart`.
  const runnable = new Set([
    ...head.charts.filter((c) => c.type === 'application').map((c) => c.name),
    ...head.releases.filter((r) => r.source).map((r) => r.chart),
  ]);
  const headFiles = new RepoFiles(layout.root);
  /** Changed secrets file → chart directories whose templates read none of its changed keys. */
  const unreadBy = new Map<string, Set<string>>();
  for (const file of changedSecrets) {
    const after = options.workingTree ? await readFile(path.join(root, file), 'utf8').catch(() => undefined) : await readAt(root, range.head, file);
    const change = await secretFileChange(file, await readAt(root, range.base, file), after, options.decrypt);
    result.secretChanges.push({ file, change });
    // Upstream charts' templates are not in the repository: their key reads cannot be narrowed.
    const readers = head.releases.filter((r) => !r.source && r.valueFiles.some((v) => v.secret && v.path === file));
    const consumers = [...new Set(readers.map((r) => r.chartDir))];
    for (const chartDir of consumers) {
      const chart = requireChartAt(head.charts, chartDir);
      if (change.whole) {
        add(chart.name, `secrets: ${change.why}`);
        continue;
      }
      const reads = await chartValueReads(headFiles, chartDir);
      const received = receivedPaths(
        file,
        change.paths,
        readers.filter((r) => r.chartDir === chartDir),
      );
      const hit = received.find((p) => readsPath(reads, p));
      if (hit)
        add(
          chart.name,
          `secrets: ${file} key ${hit.join('.')} changed and ${reads.all ? `${reads.why}${reads.dynamic ? DYNAMIC_READ : ''}` : 'its templates read it'}`,
        );
      else unreadBy.set(file, new Set([...(unreadBy.get(file) ?? []), chartDir]));
    }
  }

  // What could not be resolved on either side may have changed in any way: its charts are selected, with the reason.
  // A chart directory only the base's findings name, and that is gone at head, is reported as removed.
  const unresolvedGone = new Set<string>();
  for (const [side, resolution] of [['head', head] as const, ['base', base] as const]) {
    const other = side === 'head' ? base : head;
    for (const finding of resolution?.findings ?? []) {
      // A secrets file whose changed keys none of the finding's charts read changes neither writer's render.
      const read = paths.filter((p) => !finding.chartDirs.every((dir) => unreadBy.get(p)?.has(dir)));
      if (other && unchangedFinding(finding, other.findings, read)) continue;
      for (const dir of new Set(finding.chartDirs)) {
        const chart = chartAt(head.charts, dir);
        if (chart && runnable.has(chart.name)) add(chart.name, `${side}: could not be resolved (${finding.message})`);
        else if (side === 'base' && !chart) unresolvedGone.add(dir);
      }
    }
  }

  if (base) {
    for (const [chart, why] of releaseChanges(base, head)) if (runnable.has(chart)) add(chart, why);
    const removed = base.charts.filter((c) => goneDirs.includes(c.dir)).map((c) => c.name);
    const unnamed = [...unresolvedGone].filter((dir) => !base.charts.some((c) => c.dir === dir));
    result.removedCharts = [...new Set([...removed, ...unnamed])].sort();
  } else {
    // The base commit cannot be resolved: what it deployed is unknown, so every chart may differ.
    for (const chart of runnable) add(chart, 'base: its releases could not be resolved at the base commit');
  }

  // Only release projects (charts, and upstream, directory and Kustomize sources) are refined: any other project Nx
  // selects (workspace checks, provision) keeps its tasks.
  const refined = new Set([...head.charts.map((c) => c.name), ...runnable]);
  for (const project of result.nxProjects) if (!reasons.has(project) && !refined.has(project)) add(project, 'nx: a changed file is one of its task inputs');

  result.projects = [...reasons.keys()].sort();
  result.reasons = Object.fromEntries(result.projects.map((p) => [p, reasons.get(p)!]));
  result.skipped = result.nxProjects
    .filter((p) => !reasons.has(p))
    .map((project) => ({ project, why: unusedLibrary.get(project) ?? skipReason(changedSecrets, goneDirs) }));
  const affectedCharts = new Set([...result.projects, ...result.removedCharts]);
  result.releases.head = head.releases.filter((r) => affectedCharts.has(r.chart)).map(releaseRef);
  result.releases.base = (base?.releases ?? []).filter((r) => affectedCharts.has(r.chart)).map(releaseRef);
  return result;
}

/**
 * When every changed file is a template of a library chart (on both sides), the application charts Nx selects only
 * through that library and whose templates include none of the changed defines: project → why it renders the same.
 */
async function libraryRefinement(
  root: string,
  paths: string[],
  head: Resolution,
  base: Resolution | undefined,
  baseCommit: string,
  selected: string[],
): Promise<Map<string, string>> {
  const unused = new Map<string, string>();
  const libraryDirs = (charts: readonly Chart[]) => new Set(charts.filter((c) => c.type === 'library').map((c) => c.dir));
  const [atHead, atBase] = [libraryDirs(head.charts), libraryDirs(base?.charts ?? [])];
  const libraries = new Set<string>();
  for (const file of paths) {
    const dir = [...atHead].find((d) => file.startsWith(`${d}/templates/`));
    if (!dir || !atBase.has(dir)) return unused;
    libraries.add(dir);
  }
  const headFiles = new RepoFiles(root);
  const change = await libraryChange(libraries, await GitRevisionFiles.open(root, baseCommit), headFiles);
  for (const project of selected) {
    const chart = chartNamed(head.charts, project);
    if (chart?.type !== 'application') continue;
    const why = await unusedLibraryChange(chart, head.charts, change, headFiles);
    if (why) unused.set(project, why);
  }
  return unused;
}

/**
 * The same finding on both sides, and none of what its objects read changed: it deploys what it deployed before (two
 * writers of one Application keep fighting over the same two specs). Only findings that know their inputs qualify.
 */
function unchangedFinding(finding: ResolutionFinding, others: ResolutionFinding[], changed: string[]): boolean {
  const same = others.find((f) => f.message === finding.message);
  if (!finding.inputs || !same?.inputs) return false;
  const inputs = [...finding.inputs, ...same.inputs];
  return !changed.some((file) => inputs.some((input) => file === input || file.startsWith(`${input}/`)));
}

/** Ends a secrets reason whose templates read values they do not name: rendering finds out whether they read the key. */
const DYNAMIC_READ = ' (a render shows whether it reads the key)';

/**
 * What of a file-level reason renders cannot refute: the reason to keep, or undefined when the renders decide. A side
 * that could not be resolved has no trustworthy release to render. A changed secret key is decided by rendering when its
 * values were compared decrypted (the renders then use the real values). Keyless, placeholders tagged by ciphertext
 * show only a changed value the output prints: a key read by name (it may be a condition) stays selected, and a read
 * only rendering reveals (`tpl`, a computed lookup) is decided by renders that differ, and kept when they do not (a
 * condition on the value, or a boolean, changes no placeholder render).
 */
export function unrefutedByRenders(why: string, decrypted: boolean, rendersDiffer: boolean): string | undefined {
  if (why.startsWith('secrets: ')) {
    if (decrypted) return undefined;
    if (!why.endsWith(DYNAMIC_READ)) return why;
    if (rendersDiffer) return undefined;
    return `${why.slice(0, -DYNAMIC_READ.length)}; its placeholder renders are the same, but without the age key a condition on the changed value cannot be decided`;
  }
  return /^(head|base): (could not be resolved|its releases could not be resolved)/.test(why) ? why : undefined;
}

/**
 * The changed paths a chart's releases receive: of the shared store only their chart's top-level key (a key of
 * another chart never reaches their render, whatever their templates read); any other secrets file whole.
 */
function receivedPaths(file: string, paths: string[][], readers: Release[]): string[][] {
  if (file !== SHARED_SECRETS) return paths;
  const keys = new Set(readers.map((r) => r.chart));
  return paths.filter((p) => keys.has(p[0]));
}

function skipReason(changedSecrets: string[], goneDirs: string[]): string {
  const parts = [];
  if (changedSecrets.length > 0) parts.push(`reads none of the changed keys of ${changedSecrets.join(', ')}`);
  if (goneDirs.length > 0) parts.push(`does not use the deleted ${goneDirs.join(', ')}`);
  return parts.join('; ');
}

function releaseRef(release: Release): ReleaseRef {
  return { cluster: release.cluster, name: release.name, chart: release.chart };
}

/**
 * The releases at another commit, read from git objects. An app-of-apps chart has to be rendered to find its
 * children, which needs real files: then the commit is checked out in a temporary worktree.
 */
async function resolveAtCommit(layout: WorkspaceLayout, commit: string, warnings: string[]): Promise<Resolution | undefined> {
  if (commit === EMPTY_TREE) return { charts: [], clusters: [], releases: [], warnings: [], findings: [] };
  try {
    // Git objects are enough unless an app-of-apps chart must be rendered to find its children: that needs real files.
    let needsCheckout = false;
    const files = await GitRevisionFiles.open(layout.root, commit);
    const resolution = await resolveReleases(layout, {
      files,
      renderChart: () => {
        needsCheckout = true;
        return Promise.reject(new HomelabError('app-of-apps chart needs a checkout'));
      },
    });
    if (!needsCheckout) return resolution;
    return await withWorktree(layout.root, commit, (dir) => resolveWorkspace(normalizeLayout(dir, layout)));
  } catch (err) {
    warnings.push(
      `releases at the base commit ${commit.slice(0, 12)} could not be resolved (${err instanceof HomelabError ? err.line() : (err as Error).message}): every chart counts as affected`,
    );
    return undefined;
  }
}

/** What `helm template` receives from a release definition (wave, sync policy and project do not render). */
export function renderedFields(release: Release): unknown {
  const { cluster, name, chartDir, namespace, valueFiles, values, valuesObject, parameters, fileParameters } = release;
  const { ignoreMissingValueFiles, skipCrds, skipSchemaValidation, skipTests, kubeVersion, apiVersions, source } = release;
  return {
    // An upstream chart's repository, name and version (targetRevision) are read by the render like a local chart's files.
    source,
    cluster,
    name,
    chartDir,
    namespace,
    valueFiles,
    values,
    valuesObject,
    parameters,
    fileParameters,
    ignoreMissingValueFiles,
    skipCrds,
    skipSchemaValidation,
    skipTests,
    kubeVersion,
    apiVersions,
  };
}

/** Charts whose releases were added, removed or redefined between the two resolutions, with why. */
function releaseChanges(base: Resolution, head: Resolution): [string, string][] {
  const key = (r: Release) => `${r.cluster}/${r.name}`;
  const before = new Map(base.releases.map((r) => [key(r), r]));
  const after = new Map(head.releases.map((r) => [key(r), r]));
  const out: [string, string][] = [];
  for (const [id, old] of before) {
    const now = after.get(id);
    if (!now) out.push([old.chart, `release ${id} was removed`]);
    else if (!isDeepStrictEqual(renderedFields(old), renderedFields(now))) {
      out.push([now.chart, `release ${id} is defined differently`]);
      if (old.chart !== now.chart) out.push([old.chart, `release ${id} moved to chart ${now.chart}`]);
    }
  }
  for (const [id, now] of after) if (!before.has(id)) out.push([now.chart, `release ${id} was added`]);
  return out;
}

async function nxDefaultBase(root: string): Promise<string> {
  try {
    const nxJson: unknown = JSON.parse(await readFile(path.join(root, 'nx.json'), 'utf8'));
    return isRecord(nxJson) && typeof nxJson.defaultBase === 'string' ? nxJson.defaultBase : 'main';
  } catch {
    return 'main';
  }
}

/** The real Nx: `nx show projects --affected -t <targets> --stdin` with the changed files on stdin. */
export const nxFileAffected: NxAffected = async (root, files, targets) => {
  if (files.length === 0) return [];
  const result = await runTool(
    process.execPath,
    [path.join(root, 'node_modules', 'nx', 'dist', 'bin', 'nx.js'), 'show', 'projects', '--affected', '-t', ...targets, '--stdin', '--json'],
    {
      cwd: root,
      // The files decide alone: a base/head from the environment must not be mixed in.
      env: { NX_BASE: '', NX_HEAD: '', NX_TUI: 'false' },
      inputs: [Buffer.from(`${files.join('\n')}\n`)],
    },
  );
  const json = result.stdout.slice(result.stdout.indexOf('['));
  if (result.exitCode !== 0 || !json) {
    throw new HomelabError(
      `nx show projects --affected failed: ${failureLine(result.stderr || result.stdout)}`,
      'run `npx nx show projects --affected` to see why',
    );
  }
  return JSON.parse(json) as string[];
};
