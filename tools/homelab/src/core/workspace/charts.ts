import { posix } from 'node:path';
import { HomelabError } from '../model/errors.ts';
import type { ProjectNaming, WorkspaceLayout } from './layout.ts';
import { RepoFiles } from './repo-files.ts';
import type { Chart } from '../model/types.ts';
import { isRecord, parseYamlDocument } from './yaml-docs.ts';

/** A chart or cluster directory that could not be read; discovery goes on without it. */
export type OnBroken = (dir: string, error: unknown) => void;

/** `read`'s value, or undefined after handing its error to `onBroken` (rethrown when there is none). */
export function unlessBroken<T>(dir: string, read: Promise<T>, onBroken: OnBroken | undefined): Promise<T | undefined> {
  return read.catch((err: unknown) => {
    if (!onBroken) throw err;
    onBroken(dir, err);
    return undefined;
  });
}

/**
 * Every chart of the workspace: a directory matching a chart glob that holds a Chart.yaml.
 * A chart nested in another chart's directory is that chart's subchart, not a workspace chart.
 * Names (Nx project names, and what the hack commands take) follow the layout's `projectNames` (chartProjectNames).
 * A chart whose Chart.yaml is broken, or whose name another chart also gets, is passed to `onBroken` and left out;
 * without `onBroken` it is an error.
 */
export async function discoverCharts(layout: WorkspaceLayout, files = new RepoFiles(layout.root), onBroken?: OnBroken): Promise<Chart[]> {
  const dirs = new Set<string>();
  for (const glob of layout.charts) {
    for (const dir of await files.glob(glob, 'doublestar', 'dir')) {
      if (await files.isFile(`${dir}/Chart.yaml`)) dirs.add(dir);
    }
  }
  // Look up each ancestor directory rather than comparing every pair (thousands of charts).
  const ancestors = (dir: string) =>
    dir
      .split('/')
      .slice(0, -1)
      .map((_, i, parts) => parts.slice(0, i + 1).join('/'));
  const chartDirs = [...dirs].sort().filter((dir) => !ancestors(dir).some((parent) => dirs.has(parent)));
  const read = await Promise.all(chartDirs.map((dir) => unlessBroken(dir, readChart(layout.root, dir, files), onBroken)));
  const charts = read.filter((c): c is Chart => c !== undefined);
  const names = chartProjectNames(
    charts.map((c) => c.dir),
    layout.projectNames,
  );
  for (const chart of charts) chart.name = names.get(chart.dir) ?? chart.name;
  // Grouped by name, not compared pair by pair (thousands of charts).
  const byName = new Map<string, Chart[]>();
  for (const chart of charts) byName.set(chart.name, [...(byName.get(chart.name) ?? []), chart]);
  const clashing = charts.filter((c) => byName.get(c.name)!.length > 1);
  for (const chart of clashing) {
    const others = byName
      .get(chart.name)!
      .filter((c) => c !== chart)
      .map((c) => c.dir);
    const error = new HomelabError(
      `charts ${chart.dir} and ${others.join(', ')} both get the project name ${chart.name}`,
      layout.projectNames === 'path' ? 'rename one of the directories' : 'rename one of the directories, or set projectNames: "path" in nx.json',
    );
    if (!onBroken) throw error;
    onBroken(chart.dir, error);
  }
  return charts.filter((c) => byName.get(c.name)!.length === 1).sort((a, b) => compare(a.name, b.name));
}

/**
 * The one naming of chart projects, for the Nx plugin and the hack commands alike. `basename`: the directory's name,
 * or the shortest `-`-joined path suffix no other directory with that name shares (`apps/root`, `shared/root` →
 * `apps-root`, `shared-root`); `path`: the whole path joined with `-` (`charts/apps/root` → `charts-apps-root`).
 */
export function chartProjectNames(dirs: string[], naming: ProjectNaming): Map<string, string> {
  const suffix = (dir: string, n: number) => dir.split('/').slice(-n).join('-');
  const names = new Map<string, string>();
  if (naming === 'path') {
    for (const dir of dirs) names.set(dir, dir.split('/').join('-'));
    return names;
  }
  const groups = new Map<string, string[]>();
  for (const dir of dirs) groups.set(posix.basename(dir), [...(groups.get(posix.basename(dir)) ?? []), dir]);
  for (const group of groups.values()) {
    for (const dir of group) {
      let n = 1;
      while (n < dir.split('/').length && group.some((other) => other !== dir && suffix(other, n) === suffix(dir, n))) n++;
      names.set(dir, suffix(dir, n));
    }
  }
  return names;
}

/** Read `<dir>/Chart.yaml` (dir workspace-relative). */
export async function readChart(root: string, dir: string, files = new RepoFiles(root)): Promise<Chart> {
  const file = `${dir}/Chart.yaml`;
  const text = await files.text(file);
  if (text === undefined) throw new HomelabError(`${dir} is not a chart: ${file} does not exist`, 'add a Chart.yaml or fix the path');
  const meta = parseYamlDocument(text, file);
  if (!isRecord(meta)) throw new HomelabError(`${file}: expected a mapping`, 'see https://helm.sh/docs/topics/charts/#the-chartyaml-file');
  const type = meta.type ?? 'application';
  if (type !== 'application' && type !== 'library') {
    throw new HomelabError(`${file}: type "${String(type)}" is neither application nor library`, 'set type: application or type: library');
  }
  if (typeof meta.version !== 'string' && typeof meta.version !== 'number') {
    throw new HomelabError(`${file}: version is missing`, 'helm requires a SemVer version, e.g. version: 0.1.0');
  }
  const dependencies = meta.dependencies ?? [];
  if (!Array.isArray(dependencies)) throw new HomelabError(`${file}: dependencies must be a list`, 'see helm dependency docs');
  const localDependencies: Chart['localDependencies'] = [];
  for (const dep of dependencies) {
    if (!isRecord(dep) || typeof dep.name !== 'string') {
      throw new HomelabError(`${file}: every dependency needs a name`, 'add name: <chart> to each dependency');
    }
    const repository = typeof dep.repository === 'string' ? dep.repository : '';
    if (!repository.startsWith('file://')) continue;
    const depDir = posix.join(dir, repository.slice('file://'.length));
    if (depDir.startsWith('../../') || !(await files.isFile(`${depDir}/Chart.yaml`))) {
      throw new HomelabError(
        `${file}: dependency ${dep.name} (${repository}) is not a chart in the workspace`,
        `fix the file:// path; it is relative to ${dir}`,
      );
    }
    localDependencies.push({ name: dep.name, dir: depDir.replace(/\/$/, '') });
  }
  return {
    name: posix.basename(dir),
    dir,
    type,
    version: String(meta.version),
    localDependencies,
    hasDependencies: dependencies.length > 0,
  };
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
