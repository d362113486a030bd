import type { ExecutorContext } from '@nx/devkit';
import { uninstall } from '../../core/commands/uninstall.ts';
import type { WaitStrategy } from '../../core/cluster/helm-release.ts';
import { terminalConfirm } from '../../core/exec/terminal.ts';
import { clusterRequest, runExecutor, write, type ClusterExecutorOptions } from '../run.ts';

export interface UninstallExecutorOptions extends ClusterExecutorOptions {
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
        ...clusterRequest(options, context),
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
