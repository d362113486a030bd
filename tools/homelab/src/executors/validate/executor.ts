import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { validate } from '../../core/commands/validate.ts';
import { runExecutor, runWorkspaceBatch, write } from '../run.ts';

export interface ValidateExecutorOptions {
  release?: string;
  cluster?: string;
}

export default async function validateExecutor(options: ValidateExecutorOptions, context: ExecutorContext) {
  return runExecutor(context, (ws) =>
    validate(ws, { target: options.release ?? context.projectName!, cluster: options.cluster, skipDependencyBuild: true }, write),
  );
}

/** Every validate task of a run in one process (executors.json `batchImplementation`). */
export function batch(taskGraph: TaskGraph, inputs: Record<string, ValidateExecutorOptions>, _overrides: unknown, context: ExecutorContext) {
  return runWorkspaceBatch(taskGraph, inputs, context, ({ ws }, { project, options, write }) =>
    validate(ws, { target: options.release ?? project, cluster: options.cluster, skipDependencyBuild: true }, write),
  );
}
