import { posix } from 'node:path';
import { GitBlobs } from './git-blobs.ts';
import { git } from './git.ts';
import { RepoFiles, type DirEntry } from './repo-files.ts';

/**
 * The workspace as it was at a commit, read from git objects: the resolver runs on it unchanged, with no
 * checkout. Only what git tracks exists here (as for ArgoCD); symlinks and submodules are not files.
 */
export class GitRevisionFiles extends RepoFiles {
  readonly rev: string;
  readonly #dirs: Map<string, DirEntry[]>;
  readonly #blobs: Map<string, string>;
  readonly #texts = new Map<string, Promise<string | undefined>>();
  readonly #objects: GitBlobs;

  private constructor(root: string, rev: string, dirs: Map<string, DirEntry[]>, blobs: Map<string, string>) {
    super(root);
    this.rev = rev;
    this.#dirs = dirs;
    this.#blobs = blobs;
    this.#objects = new GitBlobs(root);
  }

  static async open(root: string, rev: string): Promise<GitRevisionFiles> {
    const listing = await git(root, ['ls-tree', '-r', '-t', '-z', '--full-tree', rev]);
    const dirs = new Map<string, DirEntry[]>([['', []]]);
    const blobs = new Map<string, string>();
    for (const line of listing.split('\0')) {
      const match = /^(\d+) (\w+) ([0-9a-f]+)\t(.+)$/s.exec(line);
      if (!match) continue;
      const [, mode, type, sha, path] = match;
      const dir = posix.dirname(path) === '.' ? '' : posix.dirname(path);
      const name = posix.basename(path);
      if (name.startsWith('.') && type === 'tree') continue;
      if (name === 'node_modules') continue;
      if (type === 'tree') dirs.set(path, []);
      else if (type === 'blob' && mode !== '120000') blobs.set(path, sha);
      else continue;
      dirs.get(dir)?.push({ name, dir: type === 'tree', file: type === 'blob' });
    }
    for (const entries of dirs.values()) entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return new GitRevisionFiles(root, rev, dirs, blobs);
  }

  text(rel: string): Promise<string | undefined> {
    let text = this.#texts.get(rel);
    if (!text) {
      const sha = this.#blobs.get(rel);
      text = sha ? this.#objects.read(sha) : Promise.resolve(undefined);
      this.#texts.set(rel, text);
    }
    return text;
  }

  entries(rel: string): Promise<DirEntry[]> {
    return Promise.resolve(this.#dirs.get(rel) ?? []);
  }
}
