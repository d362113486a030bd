import { parseArgs } from 'node:util';
import type { PreTasksExecution, TargetConfiguration } from '@nx/devkit';
import type { HomelabError } from '../core/model/errors.ts';
import { normalizeOptions, type HomelabPluginOptions } from './options.ts';

/**
 * `nx run workspace:secrets -- <view|set|rm|rotate|recipients|updatekeys> …`: the hack/secrets core behind Nx. Never cached
 * (it changes files and reads keys outside the workspace); it prints no decrypted value, since Nx writes every
 * task's terminal output to its cache directory.
 */
export function secretsTarget(): TargetConfiguration {
  return {
    executor: '@homelab/nx:secrets',
    cache: false,
    metadata: {
      technologies: ['sops'],
      description:
        'View (masked) and change SOPS secrets in memory: view, set <path> (value piped on stdin or --from-file), rm, rotate, recipients, updatekeys --yes',
      help: { command: 'node hack/secrets --help', example: { args: ['view'] } },
    },
  };
}

/**
 * Nx prints a task's arguments in its header and writes the command line to `.nx/cache/run.json` before the task
 * can refuse anything: `secrets set <path> <value>` is refused here, before Nx runs a task or records the run.
 */
export const preTasksExecution: PreTasksExecution<HomelabPluginOptions> = async (options, context) => {
  const target = normalizeOptions(options).secretsTargetName;
  const argv = context.argv.slice(2);
  if (!argv.includes('set')) return;
  // `run workspace:secrets[:conf]`, `secrets workspace`, `run-many -t secrets`, `--targets=a,secrets`.
  const at = argv.findIndex((arg) => arg.split(/[:=,]/).includes(target));
  if (at < 0) return;
  const { refuseValueArgument, SECRETS_OPTIONS } = await import('../core/commands/secrets.ts');
  const { positionals } = parseArgs({ args: argv.slice(at + 1).filter((a) => a !== '--'), options: SECRETS_OPTIONS, allowPositionals: true, strict: false });
  const set = positionals.indexOf('set');
  if (set < 0) return;
  try {
    refuseValueArgument(positionals.slice(set + 1));
  } catch (err) {
    // Nx prints a thrown error's first line, and a stack hint unless there is no stack.
    throw Object.assign(new Error((err as HomelabError).line()), { stack: undefined });
  }
};
