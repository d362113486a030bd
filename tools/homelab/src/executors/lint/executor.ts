import type { ExecutorContext } from '@nx/devkit';
import { lint } from '../../core/commands/lint.ts';
import { runExecutor, write } from '../run.ts';

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
