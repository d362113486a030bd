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
