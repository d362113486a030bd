import type { ExecutorContext } from '@nx/devkit';
import { check } from '../../core/commands/check.ts';
import { runShell, write } from '../run.ts';

export default async function checkExecutor(_options: Record<string, never>, context: ExecutorContext) {
  // The target depends on every helm-deps target, which Nx ran (or restored from cache) already.
  return runShell(() => check(context.root, { skipDependencyBuild: true }, write));
}
