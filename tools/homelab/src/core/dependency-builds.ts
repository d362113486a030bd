/**
 * `helm dependency build` for many charts in one run (the Nx helm-deps batch). In a homelab most charts are built on
 * the same library chart and declare it identically, so helm would package the same directory into the same archive
 * once per chart. Charts whose dependencies are all `file://` charts and match another chart's exactly — the same
 * Chart.yaml `dependencies` resolving to the same directories, the same Chart.lock apart from its `generated` time —
 * get a copy of the archives helm built for the first of them. Anything else (a remote dependency, no Chart.lock,
 * other files in charts/) runs helm as usual, and so does every chart of a group whose first build failed, so each
 * reports its own error.
 */
import { copyFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { dependencyStamp } from './dependency-stamp.ts';
import type { Helm } from './helm.ts';
import { buildDependencies } from './render.ts';
import type { Chart } from './types.ts';
import { isRecord, parseYamlDocument } from './yaml-docs.ts';

export type DependencyBuilder = (chart: Chart) => Promise<void>;

export function dependencyBuilder(root: string, helm: Helm): DependencyBuilder {
  const leaders = new Map<string, Promise<string | undefined>>();
  return async (chart) => {
    if (!chart.hasDependencies) return;
    const key = await sharedBuildKey(root, chart);
    if (key === undefined) return buildDependencies(root, helm, chart);
    const leader = leaders.get(key);
    if (!leader) {
      const built = buildDependencies(root, helm, chart).then(() => chart.dir);
      leaders.set(key, built.catch(() => undefined));
      return built.then(() => undefined);
    }
    const from = await leader;
    if (from === undefined) return buildDependencies(root, helm, chart);
    const stamp = await dependencyStamp(root, helm, chart);
    if (await stamp?.fresh()) return;
    await copyArchives(path.join(root, from, 'charts'), path.join(root, chart.dir, 'charts'));
    await stamp?.record();
  };
}

/** What makes two charts' dependency builds identical, or undefined when the build cannot be shared. */
async function sharedBuildKey(root: string, chart: Chart): Promise<string | undefined> {
  const dir = path.join(root, chart.dir);
  const [chartYaml, lock, existing] = await Promise.all([
    readFile(path.join(dir, 'Chart.yaml'), 'utf8'),
    readFile(path.join(dir, 'Chart.lock'), 'utf8').catch(() => undefined),
    readdir(path.join(dir, 'charts')).catch(() => [] as string[]),
  ]);
  if (lock === undefined || existing.some((name) => !name.endsWith('.tgz'))) return undefined;
  const meta = parseYamlDocument(chartYaml, `${chart.dir}/Chart.yaml`);
  const dependencies = isRecord(meta) && Array.isArray(meta.dependencies) ? meta.dependencies : [];
  const resolved = [];
  for (const dep of dependencies) {
    const repository = isRecord(dep) && typeof dep.repository === 'string' ? dep.repository : '';
    if (!repository.startsWith('file://')) return undefined;
    resolved.push({ ...dep, repository: path.resolve(dir, repository.slice('file://'.length)) });
  }
  return JSON.stringify([resolved, lock.replace(/^generated:.*$/m, '')]);
}

/** The archives helm would have written: the leader's, replacing whatever archives were there. */
async function copyArchives(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const name of await readdir(to)) if (name.endsWith('.tgz')) await rm(path.join(to, name));
  for (const name of await readdir(from)) if (name.endsWith('.tgz')) await copyFile(path.join(from, name), path.join(to, name));
}
