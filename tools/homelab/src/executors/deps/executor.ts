import type { ExecutorContext } from '@nx/devkit';
import { readChart } from '../../core/charts.ts';
import { resolveHelm } from '../../core/helm.ts';
import { buildDependencies } from '../../core/render.ts';
import { runShell } from '../run.ts';

export default async function depsExecutor(_options: Record<string, never>, context: ExecutorContext) {
  return runShell(async () => {
    const dir = context.projectsConfigurations.projects[context.projectName!].root;
    await buildDependencies(context.root, await resolveHelm(), await readChart(context.root, dir));
  });
}
