import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffLines, unifiedDiff } from './line-diff.ts';

function lcs(a: string[], b: string[]): number {
  const t = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i -= 1)
    for (let j = b.length - 1; j >= 0; j -= 1) t[i][j] = a[i] === b[j] ? t[i + 1][j + 1] + 1 : Math.max(t[i + 1][j], t[i][j + 1]);
  return t[0][0];
}

function random(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

describe('diffLines', () => {
  it('is a shortest edit script that turns a into b (checked against an LCS table)', () => {
    const rnd = random(7);
    for (let round = 0; round < 300; round += 1) {
      const a = Array.from({ length: Math.floor(rnd() * 12) }, () => 'abcd'[Math.floor(rnd() * 4)]);
      const b = Array.from({ length: Math.floor(rnd() * 12) }, () => 'abcd'[Math.floor(rnd() * 4)]);
      const ops = diffLines(a, b);
      expect(ops.filter((o) => o.kind !== '+').map((o) => o.line)).toEqual(a);
      expect(ops.filter((o) => o.kind !== '-').map((o) => o.line)).toEqual(b);
      expect(ops.filter((o) => o.kind !== ' ').length).toBe(a.length + b.length - 2 * lcs(a, b));
    }
  });
});

describe('unifiedDiff', () => {
  it('prints what `diff -u` prints for an unambiguous change', () => {
    const before = Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n') + '\n';
    const after = before.replace('line 3\n', 'line three\n').replace('line 15\n', '').replace('line 19\n', 'line 19\nline 20\n');
    const dir = mkdtempSync(path.join(tmpdir(), 'homelab-diff-'));
    try {
      writeFileSync(path.join(dir, 'a'), before);
      writeFileSync(path.join(dir, 'b'), after);
      let expected = '';
      try {
        execFileSync('diff', ['-u', '--label', 'a/x', '--label', 'b/x', 'a', 'b'], { cwd: dir });
      } catch (err) {
        expected = (err as { stdout: Buffer }).stdout.toString();
      }
      expect(expected).toContain('@@');
      expect(unifiedDiff(before, after, { from: 'a/x', to: 'b/x' })).toBe(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is empty for equal texts and handles an added file', () => {
    expect(unifiedDiff('a\n', 'a\n', { from: 'a', to: 'b' })).toBe('');
    expect(unifiedDiff('', 'x\ny\n', { from: '/dev/null', to: 'b/x' })).toBe('--- /dev/null\n+++ b/x\n@@ -0,0 +1,2 @@\n+x\n+y\n');
  });
});
