import type { ExecutorContext } from '@nx/devkit';
import { template } from '../../core/commands/template.ts';
import { runExecutor, write } from '../run.ts';

export interface TemplateExecutorOptions {
  release?: string;
  cluster?: string;
  outputDir?: string;
  keyless?: boolean;
}

export default async function templateExecutor(options: TemplateExecutorOptions, context: ExecutorContext) {
  return runExecutor(context, (ws) =>
    template(
      ws,
      {
        target: options.release ?? context.projectName!,
        cluster: options.cluster,
        outputDir: options.outputDir,
        keyless: options.keyless,
        // The target depends on helm-deps, which Nx ran (or restored from cache) already.
        skipDependencyBuild: true,
      },
      write,
    ),
  );
}
