// Shared shell of the hack scripts: argument parsing, --help, one-line errors, exit codes.
// The scripts import only the Nx-free core, so they keep working when nx.json or the plugin is broken.
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chalk } from '../../tools/homelab/src/core/exec/terminal.ts';
import { errorLine, HomelabError } from '../../tools/homelab/src/core/model/errors.ts';

export const workspaceRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The typed values of a script's options (plus --help). */
export type Values<O extends ParseArgsOptionsConfig> = ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>['values'];

export interface Script<O extends ParseArgsOptionsConfig> {
  usage: string;
  options: O;
  run(args: { values: Values<O>; positionals: string[] }): Promise<number | void>;
}

export const write = (text: string): void => {
  process.stdout.write(text);
};

export async function main<O extends ParseArgsOptionsConfig>(script: Script<O>): Promise<void> {
  try {
    const parsed = parseArgs({
      args: process.argv.slice(2),
      options: { ...script.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    if ((parsed.values as { help?: boolean }).help) {
      process.stdout.write(`${script.usage.trim()}\n`);
      return;
    }
    process.exitCode = (await script.run({ values: parsed.values as Values<O>, positionals: parsed.positionals })) ?? 0;
  } catch (err) {
    // parseArgs errors carry a code and a readable message; ours carry a hint.
    const line =
      err instanceof HomelabError || !(err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? errorLine(err) : `${errorLine(err)} — see --help`;
    process.stderr.write(chalk.red(`✖ ${line}\n`));
    process.exitCode = err instanceof HomelabError ? err.exitCode : 1;
  }
}

export function warn(message: string): void {
  process.stderr.write(chalk.yellow(`! ${message}\n`));
}
