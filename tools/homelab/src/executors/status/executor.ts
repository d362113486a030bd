import type { ExecutorContext } from '@nx/devkit';
import { status } from '../../core/commands/status.ts';
import { clusterRequest, runExecutor, write, type ClusterExecutorOptions } from '../run.ts';

export type StatusExecutorOptions = Omit<ClusterExecutorOptions, 'dryRun'>;

export default async function statusExecutor(options: StatusExecutorOptions, context: ExecutorContext) {
  return runExecutor(context, (ws) => status(ws, clusterRequest(options, context), write));
}
