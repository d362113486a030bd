import type { ExecutorContext } from '@nx/devkit';
import { install } from '../../core/commands/install.ts';
import type { WaitStrategy } from '../../core/helm-release.ts';
import { runExecutor, write } from '../run.ts';

export interface InstallExecutorOptions {
  release?: string;
  cluster?: string;
  context?: string;
  kubeconfig?: string;
  dryRun?: boolean;
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
        target: options.release ?? context.projectName!,
        cluster: options.cluster,
        context: options.context,
        kubeconfig: options.kubeconfig,
        dryRun: options.dryRun,
        helmDryRun: options.helmDryRun,
        wait: options.wait,
        timeout: options.timeout,
        recover: options.recover,
      },
      write,
    ),
  );
}
