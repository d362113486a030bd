import chalk from 'chalk';
import type { ExecutorContext } from '@nx/devkit';
import { errorLine } from '../core/errors.ts';
import { openWorkspace, type Workspace } from '../core/workspace.ts';

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

export function write(text: string): void {
  process.stdout.write(text);
}
