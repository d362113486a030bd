import { chalk } from '../core/exec/terminal.ts';
import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import type { ClusterRequest } from '../core/commands/cluster.ts';
import { errorLine } from '../core/model/errors.ts';
import { openSecrets, type OpenedSecrets } from '../core/secrets/index.ts';
import { openWorkspace, type Workspace } from '../core/resolve/workspace.ts';
import { runBatch, type BatchResult, type BatchTask } from './batch.ts';

/** Turns any failure into one red line and `success: false` (Nx prints no stack). */
export async function runShell(body: () => Promise<unknown>): Promise<{ success: boolean }> {
  try {
    await body();
    return { success: true };
  } catch (err) {
    process.stderr.write(chalk.red(`✖ ${errorLine(err)}\n`));
    return { success: false };
  }
}

/** Opens the workspace with the same resolver the hack scripts use, then runs the core command. */
export function runExecutor(context: ExecutorContext, body: (ws: Workspace) => Promise<unknown>): Promise<{ success: boolean }> {
  return runShell(async () => {
    const ws = await openWorkspace(context.root);
    for (const warning of ws.warnings) process.stderr.write(chalk.yellow(`! ${warning}\n`));
    await body(ws);
  });
}

/** The options every cluster target shares, as the core's ClusterRequest (the target defaults to the project). */
export interface ClusterExecutorOptions {
  release?: string;
  cluster?: string;
  context?: string;
  kubeconfig?: string;
  dryRun?: boolean;
}

export function clusterRequest(options: ClusterExecutorOptions, context: ExecutorContext): ClusterRequest {
  const { release, cluster, context: kubeContext, kubeconfig, dryRun } = options;
  return { target: release ?? context.projectName!, cluster, context: kubeContext, kubeconfig, dryRun };
}

export function write(text: string): void {
  process.stdout.write(text);
}

export interface SharedWorkspace {
  ws: Workspace;
  /** Secrets opened (decrypted, or keyless placeholders) once per batch, not once per task. */
  secrets(keyless: boolean): Promise<OpenedSecrets>;
}

/**
 * The batch counterpart of runExecutor: one workspace (one resolution, one helm) and one set of secrets for every
 * task of the batch; each task's output carries the workspace warnings, as a task run alone prints them.
 */
export function runWorkspaceBatch<T>(
  taskGraph: TaskGraph,
  inputs: Record<string, T>,
  context: ExecutorContext,
  body: (shared: SharedWorkspace, task: BatchTask<T>) => Promise<unknown>,
): AsyncGenerator<BatchResult> {
  const open = async (): Promise<SharedWorkspace> => {
    const ws = await openWorkspace(context.root);
    const opened = new Map<boolean, Promise<OpenedSecrets>>();
    const secrets = (keyless: boolean) => {
      if (!opened.has(keyless)) opened.set(keyless, openSecrets(ws.root, { keyless }));
      return opened.get(keyless)!;
    };
    return { ws, secrets };
  };
  return runBatch(taskGraph, inputs, open, async (shared, task) => {
    for (const warning of shared.ws.warnings) task.write(chalk.yellow(`! ${warning}\n`));
    await body(shared, task);
  });
}
