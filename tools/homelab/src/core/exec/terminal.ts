import defaultChalk, { Chalk } from 'chalk';

/**
 * Colours of our messages: chalk's own choice (a terminal, or FORCE_COLOR, which Nx sets for every task so that
 * replayed output keeps its colours), except that NO_COLOR (no-color.org: set and not empty) always wins — chalk
 * alone lets FORCE_COLOR override it.
 */
export const chalk = new Chalk({ level: process.env.NO_COLOR ? 0 : defaultChalk.level });

/**
 * A yes/no question on the terminal, or undefined when stdin/stdout are not terminals (CI, pipes): commands
 * that need confirmation then refuse unless told `--yes`. The question goes to stderr, stdout stays data.
 * zx's `question` (tab-completes the answers) is loaded only when a question is actually asked, so scripts that
 * never prompt do not pay for importing zx.
 */
export function terminalConfirm(): ((question: string) => Promise<boolean>) | undefined {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return async (text) => {
    const { question } = await import('zx');
    const answer = await question(`${text} [y/N] `, { choices: ['yes', 'no'], output: process.stderr });
    return /^y(es)?$/i.test(answer.trim());
  };
}
