/**
 * The SOPS document model (sops.go `TreeBranch`): ordered maps whose items are key/value entries or
 * comments, lists that may hold comments, and typed scalars. Order matters: the MAC hashes leaves in
 * walk order, so every store keeps file order.
 */

/**
 * A comment line (text without the leading `#`/`;`). `inline` = written after a value (YAML line
 * comment). `aad` = the AAD it was decrypted with, reused on re-encryption so that a comment yaml.v3
 * attached to another collection than we did still round-trips byte-identically.
 */
export class Comment {
  readonly text: string;
  readonly inline: boolean;
  readonly aad: string | undefined;
  constructor(text: string, inline = false, aad?: string) {
    this.text = text;
    this.inline = inline;
    this.aad = aad;
  }
}

/** Go `int` (int64): kept as a bigint so values beyond 2^53 survive. */
export class Int {
  readonly value: bigint;
  constructor(value: bigint | number) {
    this.value = BigInt(value);
  }
}

/** Go `float64`. */
export class Float {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
}

/** Go `time.Time`, held as its RFC 3339 (nano) text, which is what sops hashes and encrypts. */
export class Time {
  readonly text: string;
  /** The text as written in the file (for metadata fields read from YAML). */
  readonly source: string;
  constructor(text: string, source = text) {
    this.text = text;
    this.source = source;
  }
}

/** A scalar written verbatim by the emitters (placeholders use it for `0.0`); `js` is its JS view. */
export class Verbatim {
  readonly text: string;
  readonly js: unknown;
  constructor(text: string, js: unknown = text) {
    this.text = text;
    this.js = js;
  }
}

/** Strings are JS strings; raw bytes (binary store, non-UTF-8 values) are Uint8Array. */
export type Scalar = string | Uint8Array | boolean | null | Int | Float | Time | Verbatim;
export type Value = Scalar | Branch | List;
export type List = (Value | Comment)[];

export interface Entry {
  key: string;
  value: Value;
}

export class Branch {
  readonly items: (Entry | Comment)[];
  constructor(items: (Entry | Comment)[] = []) {
    this.items = items;
  }

  entries(): Entry[] {
    return this.items.filter((i): i is Entry => !(i instanceof Comment));
  }

  get(key: string): Value | undefined {
    return this.entries().find((e) => e.key === key)?.value;
  }
}

/** A path segment: a map key or a list index (indices never enter the AAD). */
export type PathSegment = string | number;

/** The AAD of a leaf: map keys joined by `:` plus a trailing `:` (top-level comments: `:`). */
export function aadOf(keys: readonly string[]): string {
  return `${keys.join(':')}:`;
}

export interface LeafVisit {
  value: Scalar | Comment;
  /** Map keys only (list indices are not part of the AAD). */
  keys: string[];
  /** Full position, with list indices, for messages and placeholders. */
  path: PathSegment[];
  /** Comments seen so far in each enclosing collection (sops' commentsStack). */
  commentStack: string[][];
}

/**
 * Walk every leaf depth-first in file order (sops `walkBranch`/`walkSlice`) and rebuild the tree from
 * the callback's results. Nulls are not visited (sops never encrypts or MACs them).
 */
export function mapLeaves(branches: Branch[], fn: (leaf: LeafVisit) => Scalar | Comment): Branch[] {
  return branches.map((b) => mapBranch(b, [], [], [], fn));
}

function mapBranch(branch: Branch, keys: string[], path: PathSegment[], stack: string[][], fn: (leaf: LeafVisit) => Scalar | Comment): Branch {
  const level: string[] = [];
  const inner = [...stack, level];
  const items: (Entry | Comment)[] = [];
  for (const item of branch.items) {
    if (item instanceof Comment) {
      level.push(item.text);
      const out = fn({ value: item, keys, path, commentStack: snapshot(inner) });
      items.push(out instanceof Comment ? out : new Comment(String(out), item.inline, item.aad));
      continue;
    }
    items.push({
      key: item.key,
      value: mapValue(item.value, [...keys, item.key], [...path, item.key], inner, fn),
    });
    level.length = 0;
  }
  return new Branch(items);
}

function mapValue(value: Value, keys: string[], path: PathSegment[], stack: string[][], fn: (leaf: LeafVisit) => Scalar | Comment): Value {
  if (value instanceof Branch) return mapBranch(value, keys, path, stack, fn);
  if (Array.isArray(value)) {
    const level: string[] = [];
    const inner = [...stack, level];
    return value.map((item, i) => {
      if (item instanceof Comment) {
        level.push(item.text);
        const out = fn({ value: item, keys, path, commentStack: snapshot(inner) });
        return out instanceof Comment ? out : new Comment(String(out), item.inline, item.aad);
      }
      const out = mapValue(item, keys, [...path, i], inner, fn);
      level.length = 0;
      return out;
    });
  }
  if (value === null) return null;
  const out = fn({ value, keys, path, commentStack: snapshot(stack) });
  if (out instanceof Comment) throw new Error('a value leaf cannot become a comment');
  return out;
}

function snapshot(stack: string[][]): string[][] {
  return stack.map((level) => [...level]);
}

/** Visit leaves without rebuilding (same order and nulls rule as mapLeaves). */
export function forEachLeaf(branches: Branch[], fn: (leaf: LeafVisit) => void): void {
  mapLeaves(branches, (leaf) => {
    fn(leaf);
    return leaf.value;
  });
}

/** Human-readable position: `a.b[2].c`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out === '' ? '(top level)' : out;
}
