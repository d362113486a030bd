import type { ExecutorContext } from '@nx/devkit';
import { status } from '../../core/commands/status.ts';
import { runExecutor, write } from '../run.ts';

export interface StatusExecutorOptions {
  release?: string;
  cluster?: string;
  context?: string;
  kubeconfig?: string;
}

export default async function statusExecutor(options: StatusExecutorOptions, context: ExecutorContext) {
  return runExecutor(context, (ws) =>
    status(ws, { target: options.release ?? context.projectName!, cluster: options.cluster, context: options.context, kubeconfig: options.kubeconfig }, write),
  );
}
