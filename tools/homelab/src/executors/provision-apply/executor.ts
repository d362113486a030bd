import type { ExecutorContext } from '@nx/devkit';
import { HomelabError } from '../../core/model/errors.ts';
import { describeApply, provisionApply, type ProvisionApplyOptions } from '../../core/commands/provision.ts';
import { terminalConfirm } from '../../core/exec/terminal.ts';
import { runShell, write } from '../run.ts';

export interface ProvisionApplyExecutorOptions {
  /** Inventory file (default `<provision>/inventory.yaml`). */
  inventory?: string;
  /** `--check --diff`: show what would change, change nothing. */
  check?: boolean;
  limit?: string;
  tags?: string | string[];
  /** Skip the confirmation (required without a terminal). */
  yes?: boolean;
}

export default async function provisionApplyExecutor(options: ProvisionApplyExecutorOptions, context: ExecutorContext) {
  const provisionDir = context.projectsConfigurations?.projects[context.projectName!]?.root ?? 'provision';
  const tags =
    typeof options.tags === 'string'
      ? options.tags
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean)
      : options.tags;
  const apply: ProvisionApplyOptions = {
    root: context.root,
    provisionDir,
    inventory: options.inventory,
    check: options.check ?? false,
    limit: options.limit,
    tags,
  };
  return runShell(async () => {
    write(`# in ${provisionDir}/: ${describeApply(apply).join(' ')}\n`);
    // A dry run changes nothing, so it needs no confirmation; a real run changes machines.
    if (!apply.check && !options.yes) {
      const confirm = terminalConfirm();
      if (!confirm) {
        throw new HomelabError('provision apply changes real machines and there is no terminal to confirm on', 'pass --yes, or preview with --check');
      }
      if (!(await confirm(`Run ${provisionDir}/site.yaml on these machines?`))) {
        throw new HomelabError('provision apply not confirmed: nothing was run', 'answer y to proceed, or preview with --check');
      }
    }
    await provisionApply(apply);
  });
}
