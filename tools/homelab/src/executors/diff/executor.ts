import type { ExecutorContext } from '@nx/devkit';
import { diff } from '../../core/commands/diff.ts';
import { clusterRequest, runExecutor, write, type ClusterExecutorOptions } from '../run.ts';

export type DiffExecutorOptions = ClusterExecutorOptions;

/** Fails the task on drift, so `nx run-many -t diff` exits non-zero when the cluster differs from git. */
export default async function diffExecutor(options: DiffExecutorOptions, context: ExecutorContext) {
  let drift = false;
  const result = await runExecutor(context, async (ws) => {
    drift = (await diff(ws, clusterRequest(options, context), write)).drift;
  });
  return { success: result.success && !drift };
}
