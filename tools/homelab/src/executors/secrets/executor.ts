import { parseArgs } from 'node:util';
import type { ExecutorContext } from '@nx/devkit';
import { parseSecretsArgs, secrets, SECRETS_OPTIONS } from '../../core/commands/secrets.ts';
import { HomelabError } from '../../core/model/errors.ts';
import { runShell, write } from '../run.ts';

export interface SecretsExecutorOptions {
  /** Everything after `--` (Nx's unparsed overrides), parsed exactly like hack/secrets' argv. */
  args?: string[];
}

/** Reads piped stdin; a terminal is refused: Nx runs the task in a pseudo-terminal it records. */
async function pipedStdin(): Promise<Buffer> {
  if (process.stdin.isTTY) {
    throw new HomelabError(
      'the Nx target reads a new value only from a pipe',
      'pipe it in (… | nx run workspace:secrets -- set <path>) or use hack/secrets set for a hidden prompt',
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export default async function secretsExecutor(options: SecretsExecutorOptions, context: ExecutorContext) {
  return runShell(async () => {
    const { values, positionals } = parseArgs({ args: options.args ?? [], options: SECRETS_OPTIONS, allowPositionals: true, strict: true });
    await secrets(parseSecretsArgs(values, positionals), {
      root: context.root,
      cwd: context.cwd,
      shell: 'nx',
      stdoutIsTerminal: process.stdout.isTTY === true,
      write,
      info: (line) => process.stderr.write(`${line}\n`),
      readValue: async () => (await pipedStdin()).toString('utf8'),
      readStdin: pipedStdin,
    });
  });
}
