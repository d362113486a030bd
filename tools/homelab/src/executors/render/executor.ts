import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { commandOptions } from '../../core/commands/options.ts';
import { template } from '../../core/commands/template.ts';
import { runExecutor, runWorkspaceBatch, write } from '../run.ts';

export interface RenderExecutorOptions {
  outputDir?: string;
}

// The default lives with the core's option declarations; the plugin always passes its own.
const outputDirOf = (options: RenderExecutorOptions): string => options.outputDir ?? commandOptions.render.outputDir.default;

/** The CI render: always keyless and written to files (masked), never printed. */
export default async function renderExecutor(options: RenderExecutorOptions, context: ExecutorContext) {
  return runExecutor(context, (ws) =>
    template(ws, { target: context.projectName!, outputDir: outputDirOf(options), keyless: true, skipDependencyBuild: true }, write),
  );
}

/** Every render task of a run in one process (executors.json `batchImplementation`). */
export function batch(taskGraph: TaskGraph, inputs: Record<string, RenderExecutorOptions>, _overrides: unknown, context: ExecutorContext) {
  return runWorkspaceBatch(taskGraph, inputs, context, async ({ ws, secrets }, { project, options, write }) =>
    template(ws, { target: project, outputDir: outputDirOf(options), keyless: true, skipDependencyBuild: true, secrets: await secrets(true) }, write),
  );
}
