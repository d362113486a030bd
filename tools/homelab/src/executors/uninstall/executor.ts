import type { ExecutorContext } from '@nx/devkit';
import { uninstall } from '../../core/commands/uninstall.ts';
import type { WaitStrategy } from '../../core/helm-release.ts';
import { terminalConfirm } from '../../core/terminal.ts';
import { runExecutor, write } from '../run.ts';

export interface UninstallExecutorOptions {
  release?: string;
  cluster?: string;
  context?: string;
  kubeconfig?: string;
  dryRun?: boolean;
  yes?: boolean;
  force?: boolean;
  deleteData?: boolean;
  wait?: WaitStrategy;
  timeout?: string;
}

export default async function uninstallExecutor(options: UninstallExecutorOptions, context: ExecutorContext) {
  return runExecutor(context, (ws) =>
    uninstall(
      ws,
      {
        target: options.release ?? context.projectName!,
        cluster: options.cluster,
        context: options.context,
        kubeconfig: options.kubeconfig,
        dryRun: options.dryRun,
        yes: options.yes,
        force: options.force,
        deleteData: options.deleteData,
        wait: options.wait,
        timeout: options.timeout,
        confirm: terminalConfirm(),
      },
      write,
    ),
  );
}
