import type { ExecutorContext } from '@nx/devkit';
import { diff } from '../../core/commands/diff.ts';
import { runExecutor, write } from '../run.ts';

export interface DiffExecutorOptions {
  release?: string;
  cluster?: string;
  context?: string;
  kubeconfig?: string;
  dryRun?: boolean;
}

/** Fails the task on drift, so `nx run-many -t diff` exits non-zero when the cluster differs from git. */
export default async function diffExecutor(options: DiffExecutorOptions, context: ExecutorContext) {
  let drift = false;
  const result = await runExecutor(context, async (ws) => {
    const target = { target: options.release ?? context.projectName!, cluster: options.cluster, context: options.context, kubeconfig: options.kubeconfig, dryRun: options.dryRun };
    drift = (await diff(ws, target, write)).drift;
  });
  return { success: result.success && !drift };
}
