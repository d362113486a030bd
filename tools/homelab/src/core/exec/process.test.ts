import { describe, expect, it } from 'vitest';
import { inputPath, runTool, startTool } from './process.ts';

describe('runTool', () => {
  it('hands several in-memory inputs to the child as readable paths, in order, whatever their size', async () => {
    const big = Buffer.alloc(300_000, 'x');
    const inputs = [Buffer.from('stdin-data\n'), big, Buffer.from('third\n')];
    const script = 'cat "$1"; wc -c < "$2"; cat "$3"; [ -p "$2" ] && echo fifo';
    const result = await runTool('sh', ['-c', script, 'sh', ...inputs.map((_, i) => inputPath(i))], { inputs });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`stdin-data\n${big.length}\nthird\nfifo\n`);
  });

  it('streams lines to onLine and reports the exit code without throwing', async () => {
    const lines: string[] = [];
    const result = await runTool('sh', ['-c', 'echo one; echo two >&2; printf three; exit 3'], { onLine: (l) => lines.push(l) });
    expect(result.exitCode).toBe(3);
    expect(lines.sort()).toEqual(['one', 'three', 'two']);
  });

  it('returns after timeoutMs, reporting it, even while a grandchild still holds the output pipes', async () => {
    const result = await runTool('bash', ['-c', 'sleep 300 & sleep 300'], { timeoutMs: 1000 });
    expect(result).toMatchObject({ exitCode: 1, timedOut: true });
  });

  it('reports a binary that cannot start as a failed run with its reason, not a thrown error', async () => {
    const result = await runTool('/nonexistent/helm', ['version']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('ENOENT');
  });
});

describe('startTool', () => {
  it('keeps a tool running for several requests, its answers streamed back in order, until stdin ends', async () => {
    const chunks: Buffer[] = [];
    const session = startTool('sh', ['-c', 'while read -r line; do echo "got $line"; done; echo bye >&2; exit 4'], { onStdout: (c) => chunks.push(c) });
    session.write('one\n');
    session.write('two\n');
    session.end();
    expect(await session.exited).toEqual({ exitCode: 4, stdout: '', stderr: 'bye\n' });
    expect(Buffer.concat(chunks).toString()).toBe('got one\ngot two\n');
  });

  it('reports a binary that cannot start as an exit with its reason', async () => {
    const session = startTool('/nonexistent/git', ['cat-file', '--batch'], { onStdout: () => {} });
    session.write('HEAD\n');
    const result = await session.exited;
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('ENOENT');
  });
});
