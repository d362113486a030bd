import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hasPty, runOnTerminal } from '../../../../test/support/pty.ts';
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
