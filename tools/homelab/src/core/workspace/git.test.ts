import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HomelabError } from '../model/errors.ts';
import { GitRevisionFiles } from './git-files.ts';
import { changedFiles, EMPTY_TREE, readAt, resolveRange, withWorktree } from './git.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function repo(): { root: string; git: (...args: string[]) => string; commit: (files: Record<string, string | null>, message?: string) => string } {
  const root = mkdtempSync(path.join(tmpdir(), 'homelab-git-'));
  dirs.push(root);
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
      .toString()
      .trim();
  git('init', '--quiet', '--initial-branch=main');
  git('config', 'user.email', 't@example.invalid');
  git('config', 'user.name', 'T');
  let n = 0;
  const commit = (files: Record<string, string | null>, message = `c${(n += 1)}`) => {
    for (const [file, text] of Object.entries(files)) {
      const abs = path.join(root, file);
      if (text === null) rmSync(abs);
      else {
        mkdirSync(path.dirname(abs), { recursive: true });
        writeFileSync(abs, text);
      }
    }
    git('add', '--all');
    git('commit', '--quiet', '--allow-empty', '-m', message);
    return git('rev-parse', 'HEAD');
  };
  return { root, git, commit };
}

describe('resolveRange', () => {
  it('compares a feature branch with its merge-base, not with the moved-on main', async () => {
    const r = repo();
    const fork = r.commit({ 'a.txt': '1' });
    r.git('checkout', '--quiet', '-b', 'feature');
    const head = r.commit({ 'b.txt': '1' });
    r.git('checkout', '--quiet', 'main');
    r.commit({ 'c.txt': '1' });
    r.git('checkout', '--quiet', 'feature');
    const range = await resolveRange(r.root, { base: 'main' });
    expect(range).toMatchObject({ base: fork, head, note: '' });
    expect((await changedFiles(r.root, range.base, range.head)).map((f) => f.path)).toEqual(['b.txt']);
  });

  it('treats a push to main (base == HEAD) as the last commit, not as no change', async () => {
    const r = repo();
    const previous = r.commit({ 'a.txt': '1' });
    const head = r.commit({ 'a.txt': '2' });
    for (const base of ['main', head, undefined]) {
      const range = await resolveRange(r.root, { base });
      expect(range.base).toBe(previous);
      expect(range.head).toBe(head);
      expect(range.note).toMatch(/previous commit/);
    }
  });

  it("reads GitHub's all-zero `before` of a new branch as no base", async () => {
    const r = repo();
    const previous = r.commit({ 'a.txt': '1' });
    r.commit({ 'a.txt': '2' });
    expect((await resolveRange(r.root, { base: '0'.repeat(40) })).base).toBe(previous);
  });

  it('compares a root commit with the empty tree', async () => {
    const r = repo();
    r.commit({ 'a.txt': '1' });
    const range = await resolveRange(r.root, { base: 'main' });
    expect(range.base).toBe(EMPTY_TREE);
    expect(await changedFiles(r.root, range.base, range.head)).toEqual([{ status: 'A', path: 'a.txt' }]);
  });

  it('fails with one line naming the unknown base', async () => {
    const r = repo();
    r.commit({ 'a.txt': '1' });
    const err = await resolveRange(r.root, { base: 'nope' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HomelabError);
    expect((err as HomelabError).line()).toMatch(/^base nope is not a commit in this clone — /);
  });
});

describe('resolveRange in a shallow clone', () => {
  function shallowClone(depth: number) {
    const origin = repo();
    const shas = [1, 2, 3, 4, 5].map((i) => origin.commit({ 'a.txt': String(i) }));
    const root = mkdtempSync(path.join(tmpdir(), 'homelab-shallow-'));
    dirs.push(root);
    execFileSync('git', ['clone', '--quiet', `--depth=${depth}`, `file://${origin.root}`, root]);
    const isShallow = () => execFileSync('git', ['rev-parse', '--is-shallow-repository'], { cwd: root }).toString().trim();
    return { root, shas, isShallow };
  }

  it('fails with a one-line error saying `git fetch --unshallow` when deepening is off', async () => {
    const clone = shallowClone(1);
    const err = await resolveRange(clone.root, { base: clone.shas[1], deepen: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HomelabError);
    expect((err as HomelabError).line()).toContain('git fetch --unshallow');
    expect((err as HomelabError).line()).not.toContain('\n');
  });

  it('deepens until the base commit and its merge-base are there', async () => {
    const clone = shallowClone(1);
    expect(clone.isShallow()).toBe('true');
    const range = await resolveRange(clone.root, { base: clone.shas[1] });
    expect(range).toMatchObject({ base: clone.shas[1], head: clone.shas[4] });
    expect((await changedFiles(clone.root, range.base, range.head)).map((f) => f.path)).toEqual(['a.txt']);
  });

  it('deepens for a push to main in a depth-1 checkout (HEAD~1 was not fetched)', async () => {
    const clone = shallowClone(1);
    expect(clone.isShallow()).toBe('true');
    const range = await resolveRange(clone.root, { base: 'HEAD' });
    expect(range).toMatchObject({ base: clone.shas[3], head: clone.shas[4] });
  });
});

describe('changed files and revisions', () => {
  it('splits a rename into a delete and an add, like Nx', async () => {
    const r = repo();
    const base = r.commit({ 'charts/a/Chart.yaml': 'name: a\n', 'charts/a/values.yaml': 'x: 1\n', 'keep.txt': 'k' });
    r.git('mv', 'charts/a', 'charts/b');
    const head = r.commit({ 'keep.txt': 'changed' });
    expect(await changedFiles(r.root, base, head)).toEqual([
      { status: 'D', path: 'charts/a/Chart.yaml' },
      { status: 'D', path: 'charts/a/values.yaml' },
      { status: 'A', path: 'charts/b/Chart.yaml' },
      { status: 'A', path: 'charts/b/values.yaml' },
      { status: 'M', path: 'keep.txt' },
    ]);
    expect(await readAt(r.root, base, 'charts/a/values.yaml')).toBe('x: 1\n');
    expect(await readAt(r.root, head, 'charts/a/values.yaml')).toBeUndefined();
  });

  it('reads the workspace at a commit without checking it out', async () => {
    const r = repo();
    const base = r.commit({ 'charts/a/Chart.yaml': 'name: a\n', '.github/x.yaml': 'x', 'top.txt': 't' });
    r.commit({ 'charts/a/Chart.yaml': null, 'charts/c/Chart.yaml': 'name: c\n' });
    const files = await GitRevisionFiles.open(r.root, base);
    expect(await files.glob('charts/*', 'doublestar', 'dir')).toEqual(['charts/a']);
    expect(await files.text('charts/a/Chart.yaml')).toBe('name: a\n');
    expect(await files.text('charts/c/Chart.yaml')).toBeUndefined();
    // Dot-directories are invisible, as they are to the working-tree view.
    expect((await files.entries('')).map((e) => e.name)).toEqual(['charts', 'top.txt']);
  });

  it('checks a commit out in a temporary worktree and removes it afterwards', async () => {
    const r = repo();
    const base = r.commit({ 'a.txt': 'old' });
    r.commit({ 'a.txt': 'new' });
    let seen = '';
    await expect(
      withWorktree(r.root, base, async (dir) => {
        seen = dir;
        expect(execFileSync('cat', ['a.txt'], { cwd: dir }).toString()).toBe('old');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(existsSync(seen)).toBe(false);
    expect(r.git('worktree', 'list')).not.toContain(seen);
  });
});
