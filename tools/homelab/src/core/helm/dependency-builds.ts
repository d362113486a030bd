/**
 * `helm dependency build` for many charts in one run (the Nx helm-deps batch). In a homelab most charts are built on
 * the same library chart and declare it identically, so helm would package the same directory into the same archive
 * once per chart. Charts whose dependencies are all `file://` charts and match another chart's exactly — the same
 * Chart.yaml `dependencies` resolving to the same directories, the same Chart.lock apart from its `generated` time —
 * get a copy of the archives helm built for the first of them. Anything else (a remote dependency, no Chart.lock,
 * other files in charts/) runs helm as usual, and so does every chart of a group whose first build failed, so each
 * reports its own error.
 */
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { dependencyStamp, localDependencies } from './dependency-stamp.ts';
import type { Helm } from './helm.ts';
import { buildDependencies } from './render.ts';
import type { Chart } from '../model/types.ts';

export type DependencyBuilder = (chart: Chart) => Promise<void>;

export function dependencyBuilder(root: string, helm: Helm): DependencyBuilder {
  const leaders = new Map<string, Promise<string | undefined>>();
  return async (chart) => {
    if (!chart.hasDependencies) return;
    const local = localDependencies(root, chart);
    const key = local && sharedBuildKey(root, chart, local.dependencies, local.lock);
    if (key === undefined) return buildDependencies(root, helm, chart);
    const leader = leaders.get(key);
    if (!leader) {
      const built = buildDependencies(root, helm, chart).then(() => chart.dir);
      leaders.set(
        key,
        built.catch(() => undefined),
      );
      return built.then(() => undefined);
    }
    const from = await leader;
    if (from === undefined) return buildDependencies(root, helm, chart);
    const stamp = dependencyStamp(root, helm, chart, local);
    if (stamp?.fresh()) return;
    copyArchives(path.join(root, from, 'charts'), path.join(root, chart.dir, 'charts'));
    stamp?.record();
  };
}

/** What makes two charts' dependency builds identical, or undefined when something else sits in charts/. */
function sharedBuildKey(root: string, chart: Chart, dependencies: Record<string, unknown>[], lock: string): string | undefined {
  const existing = readdirOptional(path.join(root, chart.dir, 'charts'));
  if (existing.some((name) => !name.endsWith('.tgz'))) return undefined;
  return JSON.stringify([dependencies, lock.replace(/^generated:.*$/m, '')]);
}

/** The archives helm would have written: the leader's, replacing whatever archives were there. */
function copyArchives(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const name of readdirOptional(to)) if (name.endsWith('.tgz')) rmSync(path.join(to, name));
  for (const name of readdirOptional(from)) if (name.endsWith('.tgz')) copyFileSync(path.join(from, name), path.join(to, name));
}

function readdirOptional(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
