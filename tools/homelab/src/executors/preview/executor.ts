import type { ExecutorContext } from '@nx/devkit';
import type { WaitStrategy } from '../../core/cluster/helm-release.ts';
import { preview } from '../../core/commands/preview.ts';
import { clusterRequest, runExecutor, write, type ClusterExecutorOptions } from '../run.ts';

export interface PreviewExecutorOptions extends ClusterExecutorOptions {
  pr?: string | number;
  teardown?: boolean;
  wait?: WaitStrategy;
  timeout?: string;
  summary?: string;
}

export default async function previewExecutor(options: PreviewExecutorOptions, context: ExecutorContext) {
  const { target, ...shared } = clusterRequest(options, context);
  return runExecutor(context, (ws) =>
    preview(
      ws,
      { ...shared, targets: [target], pr: options.pr, teardown: options.teardown, wait: options.wait, timeout: options.timeout, summary: options.summary },
      write,
    ),
  );
}
