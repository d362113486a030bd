import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { readChart } from '../../core/workspace/charts.ts';
import { resolveHelm } from '../../core/helm/helm.ts';
import { dependencyBuilder } from '../../core/helm/dependency-builds.ts';
import { buildDependencies } from '../../core/helm/render.ts';
import { runBatch } from '../batch.ts';
import { runShell } from '../run.ts';

export default async function depsExecutor(_options: Record<string, never>, context: ExecutorContext) {
  return runShell(async () => {
    const dir = context.projectsConfigurations.projects[context.projectName!].root;
    await buildDependencies(context.root, await resolveHelm(), await readChart(context.root, dir));
  });
}

/**
 * Every helm-deps task of a run in one process, helm dependency builds running side by side; charts declaring the
 * same local dependencies share one build (core/helm/dependency-builds.ts).
 */
export function batch(taskGraph: TaskGraph, inputs: Record<string, Record<string, never>>, _overrides: unknown, context: ExecutorContext) {
  return runBatch(
    taskGraph,
    inputs,
    async () => dependencyBuilder(context.root, await resolveHelm()),
    async (build, { project }) => {
      const dir = context.projectsConfigurations.projects[project].root;
      await build(await readChart(context.root, dir));
    },
  );
}
