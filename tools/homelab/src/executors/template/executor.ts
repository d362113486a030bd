import path from 'node:path';
import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { template } from '../../core/commands/template.ts';
import { HomelabError } from '../../core/model/errors.ts';
import { runExecutor, runWorkspaceBatch, write } from '../run.ts';

export interface TemplateExecutorOptions {
  release?: string;
  cluster?: string;
  outputDir?: string;
  keyless?: boolean;
  unmasked?: boolean;
}

export default async function templateExecutor(options: TemplateExecutorOptions, context: ExecutorContext) {
  return runExecutor(context, (ws) =>
    template(
      ws,
      {
        target: options.release ?? context.projectName!,
        cluster: options.cluster,
        outputDir: insideWorkspace(options.outputDir, context.root),
        keyless: options.keyless,
        unmasked: options.unmasked,
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
        outputDir: insideWorkspace(options.outputDir, context.root),
        keyless: options.keyless,
        unmasked: options.unmasked,
        skipDependencyBuild: true,
        secrets: await secrets(options.keyless ?? false),
      },
      write,
    ),
  );
}

/**
 * The files --outputDir receives are the task's cached outputs, and Nx fails a task whose outputs lie outside the
 * workspace only after it ran: refuse such a directory before rendering.
 */
function insideWorkspace(outputDir: string | undefined, root: string): string | undefined {
  if (outputDir === undefined) return undefined;
  const relative = path.relative(root, path.resolve(root, outputDir));
  if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
    throw new HomelabError(
      `--outputDir ${outputDir} is outside the workspace, where Nx cannot cache the files`,
      'use a directory inside the workspace (e.g. dist/template), or hack/template --output-dir',
    );
  }
  return outputDir;
}
