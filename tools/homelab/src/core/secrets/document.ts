/**
 * A decrypted document open for editing: path-based get/set/delete over the tree, keeping comments,
 * key order and every untouched value as they are.
 */
import { HomelabError } from '../model/errors.ts';
import { Branch, Comment, formatPath, type Entry, type PathSegment, type Value } from './tree.ts';
import { fromJs, toJs } from './view.ts';

function badPath(path: readonly PathSegment[], why: string): HomelabError {
  return new HomelabError(`cannot edit ${formatPath(path)}: ${why}`, 'address maps by key and lists by index');
}

export class SecretsDocument {
  /** Plaintext branches, one per YAML document; mutate through the methods (or directly, with care). */
  readonly documents: Branch[];

  constructor(documents: Branch[]) {
    this.documents = documents;
  }

  private root(doc: number): Branch {
    const b = this.documents[doc];
    if (!b) throw new HomelabError(`the file has no document #${doc}`, `use an index below ${this.documents.length}`);
    return b;
  }

  private lookup(path: readonly PathSegment[], doc: number): Value | undefined {
    let cur: Value = this.root(doc);
    for (const seg of path) {
      if (cur instanceof Branch && typeof seg === 'string') cur = cur.get(seg) as Value;
      else if (Array.isArray(cur) && typeof seg === 'number') cur = cur.filter((i) => !(i instanceof Comment))[seg] as Value;
      else return undefined;
      if (cur === undefined) return undefined;
    }
    return cur;
  }

  /** JS view of the value at `path` (undefined when absent). */
  get(path: readonly PathSegment[], doc = 0): unknown {
    const v = this.lookup(path, doc);
    return v === undefined ? undefined : toJs(v);
  }

  has(path: readonly PathSegment[], doc = 0): boolean {
    return this.lookup(path, doc) !== undefined;
  }

  /**
   * Set the value at `path` (JS values or tree values, see `fromJs`). Missing map keys are appended,
   * creating intermediate maps; list indices must exist or be the list length (append).
   */
  set(path: readonly PathSegment[], value: unknown, doc = 0): void {
    if (path.length === 0) throw badPath(path, 'the top level cannot be replaced');
    const v = fromJs(value);
    let cur: Value = this.root(doc);
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      const last = i === path.length - 1;
      if (cur instanceof Branch && typeof seg === 'string') {
        const entry: Entry | undefined = cur.entries().find((e) => e.key === seg);
        if (last) {
          if (entry) entry.value = v;
          else cur.items.push({ key: seg, value: v });
          return;
        }
        if (!entry) {
          const created = typeof path[i + 1] === 'number' ? [] : new Branch();
          cur.items.push({ key: seg, value: created });
          cur = created;
        } else cur = entry.value;
      } else if (Array.isArray(cur) && typeof seg === 'number') {
        const positions = cur.flatMap((item, idx) => (item instanceof Comment ? [] : [idx]));
        if (seg < 0 || seg > positions.length) throw badPath(path.slice(0, i + 1), 'index out of range');
        if (seg === positions.length) {
          const created = last ? v : typeof path[i + 1] === 'number' ? [] : new Branch();
          cur.push(created);
          if (last) return;
          cur = created;
        } else if (last) {
          cur[positions[seg]] = v;
          return;
        } else cur = cur[positions[seg]] as Value;
      } else {
        throw badPath(path.slice(0, i + 1), typeof seg === 'number' ? 'not a list' : 'not a map');
      }
    }
  }

  /** Remove the value at `path`; returns whether something was removed. Comments around it stay. */
  delete(path: readonly PathSegment[], doc = 0): boolean {
    if (path.length === 0) return false;
    const parent = this.lookup(path.slice(0, -1), doc);
    const seg = path[path.length - 1];
    if (parent instanceof Branch && typeof seg === 'string') {
      const idx = parent.items.findIndex((i) => !(i instanceof Comment) && i.key === seg);
      if (idx === -1) return false;
      parent.items.splice(idx, 1);
      return true;
    }
    if (Array.isArray(parent) && typeof seg === 'number') {
      const positions = parent.flatMap((item, idx) => (item instanceof Comment ? [] : [idx]));
      if (seg < 0 || seg >= positions.length) return false;
      parent.splice(positions[seg], 1);
      return true;
    }
    return false;
  }

  /** Replace every document at once (an edited file read back whole). */
  replaceAll(documents: readonly Branch[]): void {
    this.documents.splice(0, this.documents.length, ...documents);
  }

  /** JS views of all documents. */
  toJs(): unknown[] {
    return this.documents.map((d) => toJs(d));
  }
}
