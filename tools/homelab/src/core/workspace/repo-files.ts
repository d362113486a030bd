import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, sep } from 'node:path';
import { globToRegExp, literalPrefix, maxDepth, staticPrefix, type GlobDialect } from './glob.ts';

export interface DirEntry {
  name: string;
  dir: boolean;
  file: boolean;
}

/**
 * Read-once view of the workspace for one resolution: every file text and directory listing is
 * fetched at most once, and everything the resolver knows comes through here (so the resolution
 * cache keys on these contents: `reads()`). Paths are workspace-relative, POSIX. Directories whose
 * name starts with `.` and `node_modules` are invisible, as they are to ArgoCD (which skips
 * dot-directories and sees only git). Symlinked directories are not descended (ArgoCD's walk does
 * not follow them either). Reads are synchronous behind the promise API: thousands of small files
 * read several times faster than through the thread pool, and nothing else waits meanwhile.
 */
export class RepoFiles {
  readonly root: string;
  readonly #texts = new Map<string, Promise<string | undefined>>();
  readonly #listings = new Map<string, Promise<DirEntry[]>>();
  /** For reads(): how often each directory was listed, and how often that was for an isFile/isDir question. */
  readonly #listed = new Map<string, number>();
  readonly #askedIn = new Map<string, number>();
  readonly #answers = new Map<string, boolean>();
  /** glob's walks by start, kind and depth: every ApplicationSet git generator over `apps/*` walks the same listing. */
  readonly #walks = new Map<string, Promise<string[]>>();
  /** `<root>/` where appending a plain path gives what join gives (a normalized POSIX root). */
  readonly #prefix: string | undefined;

  constructor(root: string) {
    this.root = root;
    this.#prefix = sep === '/' && root !== '/' && posix.normalize(root) === root && !root.endsWith('/') ? `${root}/` : undefined;
  }

  abs(rel: string): string {
    if (rel === '') return this.root;
    // Appended, not joined, when join would change nothing: thousands of reads and listings per resolution.
    if (this.#prefix !== undefined && !NOT_PLAIN.test(rel)) return this.#prefix + rel;
    return join(this.root, ...rel.split('/'));
  }

  /** File text, or undefined when there is no such file. */
  text(rel: string): Promise<string | undefined> {
    let text = this.#texts.get(rel);
    if (!text) {
      // A directory listed already answers "no such file" without a failing read: Applications name optional files
      // (every chart's `.argocd-source*.yaml`), thousands of them at scale.
      const { dir, base } = splitPath(rel);
      const listing = this.#listings.get(dir);
      text = listing ? listing.then((entries) => (entries.some((e) => e.name === base) ? readText(this.abs(rel)) : undefined)) : readText(this.abs(rel));
      this.#texts.set(rel, text);
    }
    return text;
  }

  /** Entries of a directory sorted by name ([] when it does not exist). */
  entries(rel: string): Promise<DirEntry[]> {
    increment(this.#listed, rel);
    let listing = this.#listings.get(rel);
    if (!listing) {
      listing = this.#list(rel);
      this.#listings.set(rel, listing);
    }
    return listing;
  }

  async #list(rel: string): Promise<DirEntry[]> {
    let dirents;
    try {
      dirents = readdirSync(this.abs(rel), { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw err;
    }
    const entries: DirEntry[] = [];
    for (const d of dirents) {
      if (d.isDirectory() && (d.name.startsWith('.') || d.name === 'node_modules')) continue;
      let file = d.isFile();
      if (d.isSymbolicLink()) file = isFileSync(join(d.parentPath, d.name));
      entries.push({ name: d.name, dir: d.isDirectory(), file });
    }
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Everything read so far, for a cache key: file texts (undefined: no such file), the answers to isFile/isDir, and
   * the listings used as a whole (walk, glob, entries). A directory listed only to answer isFile/isDir counts by
   * those answers alone, so a new `charts/` folder in a chart (helm dependency build) changes nothing the resolver
   * saw. Counting calls rather than flagging them keeps this right whatever the order concurrent reads finish in.
   */
  async reads(): Promise<{ texts: [string, string | undefined][]; answers: [string, boolean][]; listings: [string, DirEntry[]][] }> {
    const settle = <T>(map: Map<string, Promise<T>>) => Promise.all([...map].map(async ([rel, value]) => [rel, await value] as [string, T]));
    const whole = new Map([...this.#listings].filter(([rel]) => (this.#listed.get(rel) ?? 0) > (this.#askedIn.get(rel) ?? 0)));
    return { texts: await settle(this.#texts), answers: [...this.#answers], listings: await settle(whole) };
  }

  async isFile(rel: string): Promise<boolean> {
    const { dir, base } = splitPath(rel);
    increment(this.#askedIn, dir);
    const answer = (await this.entries(dir)).some((e) => e.name === base && e.file);
    this.#answers.set(`file:${rel}`, answer);
    return answer;
  }

  async isDir(rel: string): Promise<boolean> {
    if (rel === '') return true;
    const { dir, base } = splitPath(rel);
    increment(this.#askedIn, dir);
    const answer = (await this.entries(dir)).some((e) => e.name === base && e.dir);
    this.#answers.set(`dir:${rel}`, answer);
    return answer;
  }

  /** Directories (or files) below `rel`, depth-first in name order, at most `depth` levels down. */
  async walk(rel: string, kind: 'dir' | 'file', depth = Infinity): Promise<string[]> {
    const out: string[] = [];
    const visit = async (dir: string, left: number): Promise<void> => {
      if (left <= 0) return;
      for (const entry of await this.entries(dir)) {
        const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
        if (entry.dir) {
          if (kind === 'dir') out.push(path);
          // Not entered at the last level: an await per directory of a thousand-chart listing adds up.
          if (left > 1) await visit(path, left - 1);
        } else if (entry.file && kind === 'file') {
          out.push(path);
        }
      }
    };
    await visit(rel, depth);
    return out;
  }

  /** Workspace paths of the given kind matching a glob, sorted. */
  async glob(pattern: string, dialect: GlobDialect, kind: 'dir' | 'file'): Promise<string[]> {
    const prefix = staticPrefix(pattern);
    if (!(await this.isDir(prefix))) return [];
    const depth = maxDepth(pattern, dialect);
    const prefixDepth = prefix === '' ? 0 : prefix.split('/').length;
    const re = globToRegExp(pattern, dialect);
    const left = depth === undefined ? Infinity : depth - prefixDepth;
    const key = `${kind}:${left}:${prefix}`;
    let walked = this.#walks.get(key);
    if (!walked) {
      walked = this.walk(prefix, kind, left).then((paths) => paths.sort());
      this.#walks.set(key, walked);
    }
    // Sorted once: the paths starting with the pattern's literal text are one run, found by bisection.
    const paths = await walked;
    const literal = literalPrefix(pattern);
    const out: string[] = [];
    for (let i = lowerBound(paths, literal); i < paths.length && paths[i].startsWith(literal); i++) if (re.test(paths[i])) out.push(paths[i]);
    return out;
  }
}

/** The first index of sorted `paths` whose path is not below `text` (code unit order, as sort() orders). */
function lowerBound(paths: string[], text: string): number {
  let low = 0;
  let high = paths.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (paths[middle] < text) low = middle + 1;
    else high = middle;
  }
  return low;
}

async function readText(file: string): Promise<string | undefined> {
  // async: a failure surfaces as a rejection, as callers of text() expect.
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

function isFileSync(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** A `.` or `..` segment, an empty one, a leading or trailing slash: what path functions would normalize away. */
const NOT_PLAIN = /(?:^|\/)\.\.?(?:\/|$)|\/\/|^\/|\/$/;

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function splitPath(rel: string): { dir: string; base: string } {
  if (rel !== '' && !NOT_PLAIN.test(rel)) {
    const slash = rel.lastIndexOf('/');
    return { dir: slash < 0 ? '' : rel.slice(0, slash), base: rel.slice(slash + 1) };
  }
  const dir = posix.dirname(rel);
  return { dir: dir === '.' ? '' : dir, base: posix.basename(rel) };
}
