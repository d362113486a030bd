import type { ExecutorContext } from '@nx/devkit';
import { bootstrap } from '../../core/commands/bootstrap.ts';
import { HomelabError } from '../../core/model/errors.ts';
import type { WaitStrategy } from '../../core/cluster/helm-release.ts';
import { lowerWaveLine, lowerWaveOf } from '../lower-wave.ts';
import { runExecutor, runShell, write } from '../run.ts';

export interface BootstrapExecutorOptions {
  cluster?: string;
  context?: string;
  kubeconfig?: string;
  dryRun?: boolean;
  argocdChartRepo?: string;
  wait?: WaitStrategy;
  timeout?: string;
  recover?: boolean;
  withLowerWaves?: boolean;
  /** Install options that reach the bootstrap through the bootstrap chart's install (Nx forwards the command line). */
  release?: string;
  helmDryRun?: 'client' | 'server';
}

export default async function bootstrapExecutor(options: BootstrapExecutorOptions, context: ExecutorContext) {
  const pulledBy = lowerWaveOf(context);
  if (pulledBy && !options.withLowerWaves) {
    write(lowerWaveLine(context.projectName!, 'not bootstrapped', pulledBy));
    return { success: true };
  }
  // Ignoring them would bootstrap for real what the user meant to simulate, or something other than asked.
  if (options.helmDryRun) {
    return runShell(async () => {
      throw new HomelabError('the bootstrap has no helm dry run (--helmDryRun): it would install ArgoCD for real', 'preview it with --dryRun');
    });
  }
  if (options.release && !pulledBy) {
    return runShell(async () => {
      throw new HomelabError(
        `--release ${options.release} does not apply to the bootstrap: it installs ArgoCD and chart ${context.projectName} whole`,
        'drop --release',
      );
    });
  }
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
