// The shell every escape-hatch command shares (the homelab bin and this repository's hack/ launchers): argument
// parsing, --help, one-line errors, exit codes. Commands import only the Nx-free core, so they keep working when
// nx.json or the plugin is broken.
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { chalk } from '../core/exec/terminal.ts';
import { errorLine, HomelabError } from '../core/model/errors.ts';

/** The typed values of a command's options (plus --help). */
export type Values<O extends ParseArgsOptionsConfig> = ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>['values'];

/** Where and how a command was started. */
export interface Invocation {
  /** The repository the command works on. */
  root: string;
  /** How commands are named in help and hints: `hack/` (this repository's launchers) or `homelab ` (the bin). */
  prefix: string;
}

export interface CommandArgs<O extends ParseArgsOptionsConfig> extends Invocation {
  values: Values<O>;
  positionals: string[];
  /** This command as invoked, e.g. `hack/template` or `homelab template`. */
  cmd: string;
}

export interface Command<O extends ParseArgsOptionsConfig> {
  /** Help text: {cmd} stands for this command as invoked, {prefix} for the prefix of the others (`{prefix}status`). */
  usage: string;
  options: O;
  run(args: CommandArgs<O>): Promise<number | void>;
}

/** Declares a command (the identity; it gives `run` the types of `options`). */
export function command<O extends ParseArgsOptionsConfig>(spec: Command<O>): Command<O> {
  return spec;
}

export const write = (text: string): void => {
  process.stdout.write(text);
};

export function warn(message: string): void {
  process.stderr.write(chalk.yellow(`! ${message}\n`));
}

/** Runs one command on `args`; sets process.exitCode (a HomelabError's own code, else 1) and prints failures in one line. */
export async function runCommand<O extends ParseArgsOptionsConfig>(spec: Command<O>, name: string, args: string[], invocation: Invocation): Promise<void> {
  const cmd = `${invocation.prefix}${name}`;
  try {
    const parsed = parseArgs({ args, options: { ...spec.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    if ((parsed.values as { help?: boolean }).help) {
      process.stdout.write(`${spec.usage.replaceAll('{cmd}', cmd).replaceAll('{prefix}', invocation.prefix).trim()}\n`);
      return;
    }
    process.exitCode = (await spec.run({ ...invocation, values: parsed.values as Values<O>, positionals: parsed.positionals, cmd })) ?? 0;
  } catch (err) {
    fail(err);
  }
}

/** One red line on stderr; parseArgs errors carry a code and a readable message, ours carry a hint. */
export function fail(err: unknown): void {
  const line =
    err instanceof HomelabError || !(err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? errorLine(err) : `${errorLine(err)} — see --help`;
  process.stderr.write(chalk.red(`✖ ${line}\n`));
  process.exitCode = err instanceof HomelabError ? err.exitCode : 1;
}
