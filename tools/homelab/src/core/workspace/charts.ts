import { posix } from 'node:path';
import { HomelabError } from '../model/errors.ts';
import type { WorkspaceLayout } from './layout.ts';
import { RepoFiles } from './repo-files.ts';
import type { Chart } from '../model/types.ts';
import { isRecord, parseYamlDocument } from './yaml-docs.ts';

/**
 * Every chart of the workspace: a directory matching a chart glob that holds a Chart.yaml.
 * A chart nested in another chart's directory is that chart's subchart, not a workspace chart.
 * Names are directory basenames and must be unique (they are Nx project names).
 */
export async function discoverCharts(layout: WorkspaceLayout, files = new RepoFiles(layout.root)): Promise<Chart[]> {
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
  const charts = await Promise.all(chartDirs.map((dir) => readChart(layout.root, dir, files)));
  const byName = new Map<string, Chart>();
  for (const chart of charts) {
    const other = byName.get(chart.name);
    if (other) {
      throw new HomelabError(
        `two charts are named ${chart.name}: ${other.dir} and ${chart.dir}`,
        'chart names are directory names and must be unique: rename one directory',
      );
    }
    byName.set(chart.name, chart);
  }
  return charts.sort((a, b) => compare(a.name, b.name));
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
    const depDir = posix.normalize(posix.join(dir, repository.slice('file://'.length)));
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
