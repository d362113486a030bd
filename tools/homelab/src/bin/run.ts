// Entry of the escape hatch as a library (`@homelab/nx/bin`): the homelab bin and this repository's hack/ launchers
// call runNamed, so both run one implementation.
import { HomelabError } from '../core/model/errors.ts';
import { COMMANDS } from './commands.ts';
import { fail, type Invocation, runCommand } from './shell.ts';

const [major, minor] = process.versions.node.split('.').map(Number);

/** Runs the command `name` with `args` on `invocation.root`; failures are one line on stderr and process.exitCode. */
export async function runNamed(name: string, args: string[], invocation: Invocation): Promise<void> {
  try {
    if (major < 22 || (major === 22 && minor < 18)) {
      throw new HomelabError(`homelab needs Node >= 22.18 (this is ${process.version})`, 'install Node 22 (e.g. nvm install 22)');
    }
    const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!entry) throw new HomelabError(`unknown command ${name}`, `one of ${Object.keys(COMMANDS).join(', ')}`);
    await runCommand((await entry.load()).default, name, args, invocation);
  } catch (err) {
    fail(err);
  }
}

/** The bin's own help: every command of the table. */
export function commandList(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return Object.entries(COMMANDS)
    .map(([name, { summary }]) => `  ${name.padEnd(width)}  ${summary}`)
    .join('\n');
}
