import type { ExecutorContext } from '@nx/devkit';
import { install } from '../../core/commands/install.ts';
import type { WaitStrategy } from '../../core/helm-release.ts';
import { clusterRequest, runExecutor, write, type ClusterExecutorOptions } from '../run.ts';

export interface InstallExecutorOptions extends ClusterExecutorOptions {
  helmDryRun?: 'client' | 'server';
  wait?: WaitStrategy;
  timeout?: string;
  recover?: boolean;
}

export default async function installExecutor(options: InstallExecutorOptions, context: ExecutorContext) {
  return runExecutor(context, (ws) =>
    install(
      ws,
      {
        ...clusterRequest(options, context),
        helmDryRun: options.helmDryRun,
        wait: options.wait,
        timeout: options.timeout,
        recover: options.recover,
      },
      write,
    ),
  );
}
