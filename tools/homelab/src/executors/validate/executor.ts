import type { ExecutorContext } from '@nx/devkit';
import { validate } from '../../core/commands/validate.ts';
import { runExecutor, write } from '../run.ts';

export interface ValidateExecutorOptions {
  release?: string;
  cluster?: string;
}

export default async function validateExecutor(options: ValidateExecutorOptions, context: ExecutorContext) {
  return runExecutor(context, (ws) =>
    validate(ws, { target: options.release ?? context.projectName!, cluster: options.cluster, skipDependencyBuild: true }, write),
  );
}
