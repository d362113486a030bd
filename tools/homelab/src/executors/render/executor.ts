import type { ExecutorContext } from '@nx/devkit';
import { template } from '../../core/commands/template.ts';
import { runExecutor, write } from '../run.ts';

export interface RenderExecutorOptions {
  outputDir: string;
}

/** The CI render: always keyless and written to files (masked), never printed. */
export default async function renderExecutor(options: RenderExecutorOptions, context: ExecutorContext) {
  return runExecutor(context, (ws) =>
    template(
      ws,
      { target: context.projectName!, outputDir: options.outputDir, keyless: true, skipDependencyBuild: true },
      write,
    ),
  );
}
