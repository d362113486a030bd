import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { lint } from '../../core/commands/lint.ts';
import { runExecutor, runWorkspaceBatch, write } from '../run.ts';

export interface LintExecutorOptions {
  release?: string;
  cluster?: string;
}

export default async function lintExecutor(options: LintExecutorOptions, context: ExecutorContext) {
  return runExecutor(context, (ws) =>
    // The target depends on helm-deps, which Nx ran (or restored from cache) already.
    lint(ws, { target: options.release ?? context.projectName!, cluster: options.cluster, skipDependencyBuild: true }, write),
  );
}

/** Every lint task of a run in one process (executors.json `batchImplementation`). */
export function batch(taskGraph: TaskGraph, inputs: Record<string, LintExecutorOptions>, _overrides: unknown, context: ExecutorContext) {
  return runWorkspaceBatch(taskGraph, inputs, context, ({ ws }, { project, options, write }) =>
    lint(ws, { target: options.release ?? project, cluster: options.cluster, skipDependencyBuild: true }, write),
  );
}
