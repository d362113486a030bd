import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from './line-diff.ts';

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

/** Applies a unified diff to `a` line by line, checking every context and removed line against `a`. */
function applyUnified(a: string[], diff: string): string[] {
  const out: string[] = [];
  let next = 0;
  for (const line of diff.split('\n').slice(2, -1)) {
    const hunk = /^@@ -(\d+),(\d+) \+\d+,\d+ @@$/.exec(line);
    if (hunk) {
      const start = Number(hunk[2]) === 0 ? Number(hunk[1]) : Number(hunk[1]) - 1;
      while (next < start) out.push(a[next++]);
    } else if (line[0] === '+') out.push(line.slice(1));
    else {
      expect(line.slice(1)).toBe(a[next++]);
      if (line[0] === ' ') out.push(line.slice(1));
    }
  }
  while (next < a.length) out.push(a[next++]);
  return out;
}

const text = (lines: string[]) => lines.map((l) => `${l}\n`).join('');

describe('unifiedDiff edit script', () => {
  it('turns a into b with the fewest changed lines (checked against an LCS table)', () => {
    const rnd = random(7);
    for (let round = 0; round < 300; round += 1) {
      const a = Array.from({ length: Math.floor(rnd() * 12) }, () => 'abcd'[Math.floor(rnd() * 4)]);
      const b = Array.from({ length: Math.floor(rnd() * 12) }, () => 'abcd'[Math.floor(rnd() * 4)]);
      const diff = unifiedDiff(text(a), text(b), { from: 'a', to: 'b' });
      expect(applyUnified(a, diff)).toEqual(b);
      const changed = diff
        .split('\n')
        .slice(2)
        .filter((l) => /^[-+]/.test(l)).length;
      expect(changed).toBe(a.length + b.length - 2 * lcs(a, b));
    }
  });
});

/** What GNU `diff -u` prints for the two texts under the labels a/x and b/x. */
function gnuDiff(before: string, after: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'homelab-diff-'));
  try {
    writeFileSync(path.join(dir, 'a'), before);
    writeFileSync(path.join(dir, 'b'), after);
    execFileSync('diff', ['-u', '--label', 'a/x', '--label', 'b/x', 'a', 'b'], { cwd: dir });
    return '';
  } catch (err) {
    return (err as { stdout: Buffer }).stdout.toString();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('unifiedDiff', () => {
  it('prints what `diff -u` prints for an unambiguous change', () => {
    const before = text(Array.from({ length: 20 }, (_, i) => `line ${i}`));
    const after = before.replace('line 3\n', 'line three\n').replace('line 15\n', '').replace('line 19\n', 'line 19\nline 20\n');
    const expected = gnuDiff(before, after);
    expect(expected).toContain('@@');
    expect(unifiedDiff(before, after, { from: 'a/x', to: 'b/x' })).toBe(expected);
  });

  it('is empty for equal texts and handles an added file', () => {
    expect(unifiedDiff('a\n', 'a\n', { from: 'a', to: 'b' })).toBe('');
    expect(unifiedDiff('', 'x\ny\n', { from: '/dev/null', to: 'b/x' })).toBe('--- /dev/null\n+++ b/x\n@@ -0,0 +1,2 @@\n+x\n+y\n');
  });

  it('treats a missing final newline as no change', () => {
    expect(unifiedDiff('a\nb', 'a\nb\n', { from: 'a', to: 'b' })).toBe('');
    expect(unifiedDiff('a\nb', 'a\nc', { from: 'a', to: 'b' })).toBe('--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n');
  });

  // A CRD renders to thousands of lines; an added one is a single hunk of every line.
  const resource = text(Array.from({ length: 10_000 }, (_, i) => `      field${i}: {type: string, description: value ${i}}`));

  it('diffs a 10,000-line added resource into one hunk', () => {
    const diff = unifiedDiff('', resource, { from: '/dev/null', to: 'b/x' });
    const lines = diff.split('\n');
    expect(lines.slice(0, 3)).toEqual(['--- /dev/null', '+++ b/x', '@@ -0,0 +1,10000 @@']);
    expect(lines.slice(3, -1)).toEqual(
      resource
        .trimEnd()
        .split('\n')
        .map((l) => `+${l}`),
    );
  });

  it('prints what `diff -u` prints for scattered edits in a 10,000-line resource', () => {
    const after = resource
      .replace('field10: ', 'field10-renamed: ')
      .replace('field5000: {type: string, description: value 5000}\n', '')
      .replace('field9999: ', 'field9999x: ');
    expect(unifiedDiff(resource, after, { from: 'a/x', to: 'b/x' })).toBe(gnuDiff(resource, after));
  });
});
