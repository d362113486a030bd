import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HomelabError } from '../model/errors.ts';
import { GitBlobs } from './git-blobs.ts';
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

/** Runs `fn` with a `git` first on PATH that logs each start and runs the real git: the starts it caused. */
async function gitStarts(fn: () => Promise<void>): Promise<string[]> {
  const bin = mkdtempSync(path.join(tmpdir(), 'homelab-gitlog-'));
  dirs.push(bin);
  const real = execFileSync('sh', ['-c', 'command -v git']).toString().trim();
  writeFileSync(path.join(bin, 'git'), `#!/bin/sh\necho "$*" >> "${bin}/log"\nexec "${real}" "$@"\n`);
  chmodSync(path.join(bin, 'git'), 0o755);
  const saved = process.env.PATH;
  process.env.PATH = `${bin}${path.delimiter}${saved}`;
  try {
    await fn();
  } finally {
    process.env.PATH = saved;
  }
  return existsSync(path.join(bin, 'log')) ? readFileSync(path.join(bin, 'log'), 'utf8').trim().split('\n') : [];
}

describe('reading a revision through one git cat-file --batch process', () => {
  const r = repo();
  const files = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`charts/c${i}/values.yaml`, `replicas: ${i}\nname: c${i}\n`]));
  // Larger than a pipe's buffer, multi-byte characters across chunk boundaries, and an empty file.
  const large = 'é…✓ line of a large CRD\n'.repeat(100_000);
  const rev = r.commit({ ...files, 'crds/large.yaml': large, 'empty.txt': '' });
  r.commit({ 'charts/c0/values.yaml': 'changed\n' });

  it('reads 200 files asked for at once, a large and an empty one, all through one process', async () => {
    const starts = await gitStarts(async () => {
      const at = await GitRevisionFiles.open(r.root, rev);
      const texts = await Promise.all(Object.keys(files).map((f) => at.text(f)));
      expect(texts).toEqual(Object.values(files));
      expect(await at.text('crds/large.yaml')).toBe(large);
      expect(await at.text('empty.txt')).toBe('');
      expect(await at.text('charts/none.yaml')).toBeUndefined();
    });
    expect(starts.filter((s) => s.startsWith('cat-file'))).toEqual(['cat-file --batch']);
  });

  it('keeps one process for reads that follow each other, and starts a new one after it ended', async () => {
    const blobs = new GitBlobs(r.root);
    const starts = await gitStarts(async () => {
      for (const [file, text] of Object.entries(files).slice(0, 20)) expect(await blobs.read(`${rev}:${file}`)).toBe(text);
      expect(await blobs.read(`${rev}:charts/missing.yaml`)).toBeUndefined();
      // Once the reads of the moment have settled and nothing asked for more, the process is ended.
      await new Promise((resolve) => setImmediate(resolve));
      expect(await blobs.read('HEAD:charts/c0/values.yaml')).toBe('changed\n');
    });
    expect(starts).toEqual(['cat-file --batch', 'cat-file --batch']);
  });

  it('fails in one line naming the directory when git cannot read objects there', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'homelab-nogit-'));
    dirs.push(dir);
    const err = await new GitBlobs(dir).read('HEAD:x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HomelabError);
    expect((err as HomelabError).message).toMatch(new RegExp(`git cat-file failed in ${dir}: .*not a git repository`));
  });
});
