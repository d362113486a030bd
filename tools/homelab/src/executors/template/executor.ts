import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { template } from '../../core/commands/template.ts';
import { runExecutor, runWorkspaceBatch, write } from '../run.ts';

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

/** Every template task of a run in one process (executors.json `batchImplementation`). */
export function batch(taskGraph: TaskGraph, inputs: Record<string, TemplateExecutorOptions>, _overrides: unknown, context: ExecutorContext) {
  return runWorkspaceBatch(taskGraph, inputs, context, async ({ ws, secrets }, { project, options, write }) =>
    template(
      ws,
      {
        target: options.release ?? project,
        cluster: options.cluster,
        outputDir: options.outputDir,
        keyless: options.keyless,
        skipDependencyBuild: true,
        secrets: await secrets(options.keyless ?? false),
      },
      write,
    ),
  );
}
