import { createInterface } from 'node:readline/promises';

/**
 * A yes/no question on the terminal, or undefined when stdin/stdout are not terminals (CI, pipes): commands
 * that need confirmation then refuse unless told `--yes`. The question goes to stderr, stdout stays data.
 */
export function terminalConfirm(): ((question: string) => Promise<boolean>) | undefined {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return async (question) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
    } finally {
      rl.close();
    }
  };
}
