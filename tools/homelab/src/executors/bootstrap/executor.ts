import type { ExecutorContext } from '@nx/devkit';
import { bootstrap } from '../../core/commands/bootstrap.ts';
import type { WaitStrategy } from '../../core/helm-release.ts';
import { runExecutor, write } from '../run.ts';

export interface BootstrapExecutorOptions {
  cluster?: string;
  context?: string;
  kubeconfig?: string;
  dryRun?: boolean;
  argocdChartRepo?: string;
  wait?: WaitStrategy;
  timeout?: string;
  recover?: boolean;
}

export default async function bootstrapExecutor(options: BootstrapExecutorOptions, context: ExecutorContext) {
  return runExecutor(context, (ws) =>
    bootstrap(
      ws,
      {
        cluster: options.cluster,
        context: options.context,
        kubeconfig: options.kubeconfig,
        dryRun: options.dryRun,
        bootstrapChart: context.projectName,
        argocdChartRepo: options.argocdChartRepo,
        wait: options.wait,
        timeout: options.timeout,
        recover: options.recover,
      },
      write,
    ),
  );
}
