import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hasPty, runOnTerminal } from '../../../../../test/support/pty.ts';
import { execa } from 'execa';
import { terminalConfirm } from './terminal.ts';

const asker = `import { terminalConfirm } from ${JSON.stringify(path.join(path.dirname(fileURLToPath(import.meta.url)), 'terminal.ts'))};
const confirm = terminalConfirm();
process.stdout.write(confirm ? 'answer=' + (await confirm('Uninstall home/jellyfin?')) : 'no terminal');`;

describe('terminalConfirm', () => {
  it('is absent without a terminal, so commands refuse unless --yes', () => {
    expect(process.stdin.isTTY && process.stderr.isTTY).toBeFalsy();
    expect(terminalConfirm()).toBeUndefined();
  });

  it.skipIf(!hasPty).each([
    ['y\r', 'answer=true'],
    ['yes\r', 'answer=true'],
    ['\r', 'answer=false'],
    ['nope\r', 'answer=false'],
  ])('asks on a terminal: %j → %s', async (typed, expected) => {
    const argv = [process.execPath, '--input-type=module', '-e', asker];
    const { shown, code } = await runOnTerminal(argv, [['[y/N] ', typed]], { env: process.env });
    expect(code).toBe(0);
    expect(shown).toContain('Uninstall home/jellyfin? [y/N] ');
    expect(shown.trim().endsWith(expected)).toBe(true);
  });
});

describe('chalk', () => {
  const painter = `import { chalk } from ${JSON.stringify(path.join(path.dirname(fileURLToPath(import.meta.url)), 'terminal.ts'))};
process.stdout.write(chalk.red('x'));`;
  const paint = async (env: Record<string, string>) =>
    (await execa(process.execPath, ['--input-type=module', '-e', painter], { env: { PATH: process.env.PATH ?? '', ...env }, extendEnv: false })).stdout;

  it('keeps the colours FORCE_COLOR asks for (Nx sets it for every task), unless NO_COLOR is set', async () => {
    expect(await paint({ FORCE_COLOR: 'true' })).toBe('\x1b[31mx\x1b[39m');
    expect(await paint({ FORCE_COLOR: 'true', NO_COLOR: '1' })).toBe('x');
    expect(await paint({ FORCE_COLOR: 'true', NO_COLOR: '' })).toBe('\x1b[31mx\x1b[39m');
    expect(await paint({})).toBe('x');
  });
});
