import type { ExecutorContext } from '@nx/devkit';
import { install } from '../../core/commands/install.ts';
import type { WaitStrategy } from '../../core/cluster/helm-release.ts';
import { lowerWaveLine, lowerWaveOf } from '../lower-wave.ts';
import { clusterRequest, runExecutor, write, type ClusterExecutorOptions } from '../run.ts';

export interface InstallExecutorOptions extends ClusterExecutorOptions {
  helmDryRun?: 'client' | 'server';
  wait?: WaitStrategy;
  timeout?: string;
  recover?: boolean;
  pauseSync?: boolean;
  withLowerWaves?: boolean;
}

export default async function installExecutor(options: InstallExecutorOptions, context: ExecutorContext) {
  const pulledBy = lowerWaveOf(context);
  if (pulledBy && !options.withLowerWaves) {
    write(lowerWaveLine(context.projectName!, 'not installed', pulledBy));
    return { success: true };
  }
  // A lower wave installs its whole chart: a release forwarded from the chart that pulled it in is not its own.
  const own = pulledBy ? { ...options, release: undefined } : options;
  return runExecutor(context, (ws) =>
    install(
      ws,
      {
        ...clusterRequest(own, context),
        helmDryRun: options.helmDryRun,
        wait: options.wait,
        timeout: options.timeout,
        recover: options.recover,
        pauseSync: options.pauseSync,
      },
      write,
    ),
  );
}
