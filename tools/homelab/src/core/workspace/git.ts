import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HomelabError } from '../model/errors.ts';
import { failureLine, runTool } from '../exec/process.ts';

/**
 * The commits a CI run compares, with the edge cases change detection tools get wrong:
 * a push to main (merge-base == head: compare with the previous commit, never "nothing changed"),
 * shallow clones (deepen, or one line saying how to fetch history), GitHub's all-zero `before` sha.
 */
export interface GitRange {
  /** Commit compared against (the merge-base of the requested base and head, or head's parent). */
  base: string;
  /** Head commit. */
  head: string;
  /** What was asked for, as typed (`origin/main`, a sha). */
  requestedBase: string;
  /** Why `base` is not simply the merge-base (push to main, first commit); '' otherwise. */
  note: string;
}

export interface RangeOptions {
  /** Base revision; empty, undefined or GitHub's all-zero sha mean "not given". */
  base?: string;
  head?: string;
  /** Used when no base is given: tried as `origin/<defaultBase>`, then `<defaultBase>`. */
  defaultBase?: string;
  /** In a shallow clone, `git fetch --deepen` until the merge-base is present (default true). */
  deepen?: boolean;
  /** Upper bound of deepening rounds (each doubles the depth, starting at 50 commits). */
  maxDeepenRounds?: number;
}

/** `git hash-object -t tree /dev/null`: compare a root commit against nothing. */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

const ZERO_SHA = /^0+$/;

export async function git(root: string, args: string[]): Promise<string> {
  const result = await runTool('git', args, { cwd: root });
  if (result.exitCode !== 0) {
    throw new HomelabError(`git ${args[0]} failed in ${root}: ${failureLine(result.stderr)}`, 'run it by hand to see why');
  }
  return result.stdout;
}

async function tryGit(root: string, args: string[]): Promise<string | undefined> {
  const result = await runTool('git', args, { cwd: root });
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

export async function isShallow(root: string): Promise<boolean> {
  return (await git(root, ['rev-parse', '--is-shallow-repository'])).trim() === 'true';
}

/** Full sha of a commit-ish, or undefined when this clone does not have it. */
export function commitOf(root: string, rev: string): Promise<string | undefined> {
  if (rev.startsWith('-')) throw new HomelabError(`invalid git revision "${rev}"`, 'revisions cannot start with "-"');
  return tryGit(root, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
}

export async function resolveRange(root: string, options: RangeOptions = {}): Promise<GitRange> {
  const deepen = options.deepen ?? true;
  const headRev = options.head || 'HEAD';
  const head = await commitOf(root, headRev);
  if (!head) throw new HomelabError(`head ${headRev} is not a commit in ${root}`, 'pass --head with a commit or branch of this clone');

  const given = options.base && !ZERO_SHA.test(options.base) ? options.base : undefined;
  const requestedBase = given ?? (await defaultBaseRef(root, options.defaultBase ?? 'main')) ?? `${headRev}~1`;
  for (let round = 0; ; round += 1) {
    const shallow = await isShallow(root);
    const base = await commitOf(root, requestedBase);
    const mergeBase: string | undefined = base ? await tryGit(root, ['merge-base', base, head]) : undefined;
    if (mergeBase && mergeBase !== head) return { base: mergeBase, head, requestedBase, note: '' };
    if (mergeBase) {
      // Push to main: base is head (or ahead of it). Compare with the previous commit, not with nothing.
      const parent = await commitOf(root, `${head}~1`);
      if (parent) return { base: parent, head, requestedBase, note: `${requestedBase} contains head: comparing with the previous commit` };
      if (!shallow) return { base: EMPTY_TREE, head, requestedBase, note: 'first commit: everything is new' };
    }
    if (!shallow) {
      throw new HomelabError(
        base ? `${requestedBase} and ${headRev} share no history` : `base ${requestedBase} is not a commit in this clone`,
        base ? 'pass a --base that is an ancestor of head' : `fetch it (git fetch origin ${requestedBase}) or pass another --base`,
      );
    }
    if (!deepen || round >= (options.maxDeepenRounds ?? 6)) {
      throw new HomelabError(
        `shallow clone: the history between ${requestedBase} and ${headRev} is not fetched`,
        'run `git fetch --unshallow` (in GitHub/Gitea Actions: actions/checkout with fetch-depth: 0)',
      );
    }
    await deepenClone(root, 50 * 2 ** round, given);
  }
}

/** `origin/<branch>` when the remote-tracking branch exists (CI checkouts), else the local branch. */
async function defaultBaseRef(root: string, branch: string): Promise<string | undefined> {
  for (const candidate of [`origin/${branch}`, branch]) if (await commitOf(root, candidate)) return candidate;
  return undefined;
}

/** One deepening round; also fetches an explicit base sha that the shallow clone never saw. */
async function deepenClone(root: string, depth: number, base: string | undefined): Promise<void> {
  const remote = (await tryGit(root, ['remote']))?.split('\n')[0];
  if (!remote) {
    throw new HomelabError('shallow clone without a remote: cannot fetch more history', 'run `git fetch --unshallow` in a clone that has its remote');
  }
  const result = await runTool('git', ['fetch', '--quiet', `--deepen=${depth}`, remote], { cwd: root });
  if (result.exitCode !== 0) {
    throw new HomelabError(`git fetch --deepen=${depth} failed: ${failureLine(result.stderr)}`, 'run `git fetch --unshallow` by hand');
  }
  if (base && /^[0-9a-f]{40}$/i.test(base) && !(await commitOf(root, base))) {
    await runTool('git', ['fetch', '--quiet', `--depth=${depth}`, remote, base], { cwd: root });
  }
}

export interface ChangedFile {
  /** git's status letter: A added, M modified, D deleted, T type change (renames are split into D + A). */
  status: string;
  path: string;
}

/**
 * Files that differ between two commits, like Nx computes them (`--no-renames`: a move is a delete plus an add); an
 * empty `head` is the working tree.
 */
export async function changedFiles(root: string, base: string, head: string): Promise<ChangedFile[]> {
  const out = await git(root, ['diff', '--name-status', '--no-renames', '-z', base, ...(head ? [head] : [])]);
  const parts = out.split('\0');
  const files: ChangedFile[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    if (parts[i] === '') break;
    files.push({ status: parts[i], path: parts[i + 1] });
  }
  return files;
}

/**
 * Files that differ between a commit and the working tree: tracked files as `git diff <base>` sees them (staged or
 * not) plus untracked files that are not ignored (added). What a local run means by "my change".
 */
export async function changedFilesToWorkingTree(root: string, base: string): Promise<ChangedFile[]> {
  const tracked = await changedFiles(root, base, '');
  const untracked = (await git(root, ['ls-files', '-z', '--others', '--exclude-standard'])).split('\0').filter(Boolean);
  const seen = new Set(tracked.map((f) => f.path));
  return [...tracked, ...untracked.filter((p) => !seen.has(p)).map((p) => ({ status: 'A', path: p }))];
}

/** A file's text at a revision, or undefined when it does not exist there. */
export async function readAt(root: string, rev: string, file: string): Promise<string | undefined> {
  if (rev === EMPTY_TREE) return undefined;
  const result = await runTool('git', ['show', `${rev}:${file}`], { cwd: root });
  return result.exitCode === 0 ? result.stdout : undefined;
}

/**
 * Runs `fn` on a detached checkout of `commit` in a fresh temporary directory (a git worktree), removed
 * afterwards whatever happens. Only tracked files exist there: no node_modules, no built chart archives.
 */
export async function withWorktree<T>(root: string, commit: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const parent = await mkdtemp(path.join(tmpdir(), 'homelab-worktree-'));
  const dir = path.join(parent, 'checkout');
  await git(root, ['worktree', 'add', '--detach', '--quiet', dir, commit]);
  try {
    return await fn(dir);
  } finally {
    await runTool('git', ['worktree', 'remove', '--force', dir], { cwd: root });
    await rm(parent, { recursive: true, force: true });
    await runTool('git', ['worktree', 'prune'], { cwd: root });
  }
}
