/**
 * YAML store (sops `stores/yaml`): documents to branches and back. Parsing uses the `yaml` package
 * for syntax, then applies yaml.v3's scalar typing and attaches comments to the collection yaml.v3
 * would attach them to (their AAD is that collection's path). Emitting reproduces sops' output.
 */
import { Composer, isAlias, isMap, isPair, isScalar, isSeq, Parser } from 'yaml';
import type { Document, Node as YamlNode, Pair, Scalar as YamlScalar, YAMLMap, YAMLSeq } from 'yaml';
import { malformed } from '../errors.ts';
import { yamlFloat } from '../go-values.ts';
import { Branch, Comment, Float, Int, Time, Verbatim, type Entry, type List, type Value } from '../tree.ts';
import { plainKeepsString, resolvePlain } from '../yaml-scalars.ts';
import { emitYamlDocuments, type YNode } from './yaml-emitter.ts';

interface CommentToken {
  offset: number;
  text: string;
  column: number;
  /** Written after other content on its line. */
  lineEnd: boolean;
}

type Collection = YAMLMap<unknown, unknown> | YAMLSeq<unknown>;

/** Where a comment ends up: before item `slot` of `coll` (slot = item count: after the last item). */
interface Placement {
  offset: number;
  comment: Comment;
}

function collectComments(text: string, tokens: readonly unknown[]): CommentToken[] {
  const found: { offset: number; source: string }[] = [];
  const visit = (tok: unknown): void => {
    if (Array.isArray(tok)) {
      for (const t of tok) visit(t);
      return;
    }
    if (tok === null || typeof tok !== 'object') return;
    const t = tok as Record<string, unknown>;
    if (t.type === 'comment' && typeof t.offset === 'number' && typeof t.source === 'string') {
      found.push({ offset: t.offset, source: t.source });
      return;
    }
    for (const [k, v] of Object.entries(t)) if (k !== 'source') visit(v);
  };
  visit(tokens);
  return found
    .sort((a, b) => a.offset - b.offset)
    .map(({ offset, source }) => {
      const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
      const before = text.slice(lineStart, offset);
      return { offset, text: source.slice(1), column: offset - lineStart, lineEnd: before.trim() !== '' };
    });
}

/** Line numbers by binary search over line starts. */
class Lines {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }
  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

class Loader {
  private readonly text: string;
  private readonly lines: Lines;
  private readonly doc: Document.Parsed;
  private readonly file: string;
  /** Comments assigned to a collection, by collection. */
  private readonly placed = new Map<Collection, Placement[]>();
  private readonly topComments: Placement[] = [];
  private aliasDepth = 0;

  constructor(text: string, doc: Document.Parsed, file: string) {
    this.text = text;
    this.lines = new Lines(text);
    this.doc = doc;
    this.file = file;
  }

  load(comments: CommentToken[]): Branch {
    const root = this.doc.contents as YamlNode | null;
    if (root !== null && !isMap(root)) {
      const emptyScalar = isScalar(root) && root.type === 'PLAIN' && resolvePlain(String(root.value)).kind === 'null';
      if (!emptyScalar) {
        throw malformed(this.file, 'YAML', 'the top level must be a mapping (sops cannot encrypt top-level lists or values)');
      }
    }
    const map = root !== null && isMap(root) ? root : undefined;
    const full: CommentToken[] = [];
    for (const c of comments) {
      if (!map) this.topComments.push({ offset: c.offset, comment: new Comment(c.text) });
      else if (!c.lineEnd || !this.placeLineEnd(map, c)) full.push(c);
    }
    if (map) for (const c of full) this.route(map, c, true);
    if (!map) return new Branch(this.topComments.map((p) => p.comment));
    return this.branch(map, [], true);
  }

  // ---- comment placement ----

  private itemStart(item: unknown): number | undefined {
    if (isPair(item)) return (item.key as YamlNode | null)?.range?.[0];
    return (item as YamlNode | null)?.range?.[0];
  }

  private itemValue(item: unknown): unknown {
    return isPair(item) ? item.value : item;
  }

  private column(offset: number): number {
    return offset - (this.text.lastIndexOf('\n', offset - 1) + 1);
  }

  private place(coll: Collection, c: CommentToken, inline: boolean): void {
    const list = this.placed.get(coll) ?? [];
    list.push({ offset: c.offset, comment: new Comment(c.text, inline) });
    this.placed.set(coll, list);
  }

  /** Where a collection's last value ends (the `yaml` package's own range also covers trailing comments). */
  private contentEnd(node: unknown): number {
    if (isMap(node) || isSeq(node)) {
      const last = (node.items as unknown[]).at(-1);
      if (last === undefined) return node.range?.[1] ?? 0;
      const value = this.itemValue(last);
      if (value !== null && value !== undefined) return this.contentEnd(value);
      return (isPair(last) ? (last.key as YamlNode | null)?.range?.[1] : undefined) ?? node.range?.[1] ?? 0;
    }
    return (node as YamlNode | null)?.range?.[1] ?? 0;
  }

  /** A full-line comment goes to the innermost collection whose items surround it (by position and indentation). */
  private route(coll: Collection, c: CommentToken, top: boolean): void {
    const items = coll.items as unknown[];
    let k = 0;
    while (k < items.length && (this.itemStart(items[k]) ?? Infinity) < c.offset) k++;
    if (k > 0) {
      const child = this.itemValue(items[k - 1]);
      if ((isMap(child) || isSeq(child)) && child.items.length > 0 && child.range) {
        const inside = child.flow ? c.offset < child.range[1] : c.offset < this.contentEnd(child);
        const childColumn = this.column(child.range[0]);
        const collColumn = top ? -1 : this.column(coll.range?.[0] ?? 0);
        if (inside || (!child.flow && c.column >= childColumn && c.column > collColumn)) {
          this.route(child, c, false);
          return;
        }
      }
    }
    this.place(coll, c, false);
  }

  /** A comment after content on the same line: a line comment of the scalar before it (yaml.v3). */
  private placeLineEnd(root: Collection, c: CommentToken): boolean {
    const line = this.lines.lineOf(c.offset);
    let best: { end: number; coll: Collection; inline: boolean } | undefined;
    const consider = (node: unknown, coll: Collection, inline: boolean, end?: number): void => {
      const e = end ?? (node as YamlNode | null)?.range?.[1];
      if (e === undefined || e > c.offset || this.lines.lineOf(Math.max(e - 1, 0)) !== line) return;
      if (!best || e >= best.end) best = { end: e, coll, inline };
    };
    const visit = (coll: Collection): void => {
      for (const item of coll.items as unknown[]) {
        const value = this.itemValue(item);
        if (isPair(item)) {
          const isBlockScalar = isScalar(value) && (value.type === 'BLOCK_LITERAL' || value.type === 'BLOCK_FOLDED') && value.range;
          if (isBlockScalar) consider(value, coll, true, (value as YamlScalar).range![0] + 1);
          const scalarValue = isScalar(value) || isAlias(value);
          if (!isBlockScalar) consider(item.key, coll, scalarValue && this.sameLine(item.key, value));
          if (scalarValue && !isBlockScalar) consider(value, coll, true);
        } else if (isScalar(value) || isAlias(value)) {
          consider(value, coll, true);
        }
        if (isMap(value) || isSeq(value)) visit(value);
      }
    };
    visit(root);
    if (!best) return false;
    this.placeAt(best.coll, c, best.inline);
    return true;
  }

  private sameLine(a: unknown, b: unknown): boolean {
    const ra = (a as YamlNode | null)?.range;
    const rb = (b as YamlNode | null)?.range;
    return !!ra && !!rb && this.lines.lineOf(ra[0]) === this.lines.lineOf(rb[0]);
  }

  /** Line comments sit just before the item they follow (sops puts a pair's comments before it). */
  private placeAt(coll: Collection, c: CommentToken, inline: boolean): void {
    const items = coll.items as unknown[];
    let k = 0;
    while (k < items.length && (this.itemStart(items[k]) ?? Infinity) < c.offset) k++;
    const start = k > 0 ? this.itemStart(items[k - 1]) : undefined;
    const list = this.placed.get(coll) ?? [];
    // Sort key: just after the item's own head comments, before the item.
    list.push({ offset: (start ?? c.offset) - 0.5, comment: new Comment(c.text, inline) });
    this.placed.set(coll, list);
  }

  private commentsBefore(coll: Collection, start: number | undefined, taken: Set<Placement>): Comment[] {
    const out: Comment[] = [];
    for (const p of (this.placed.get(coll) ?? []).sort((a, b) => a.offset - b.offset)) {
      if (taken.has(p) || (start !== undefined && p.offset >= start)) continue;
      taken.add(p);
      out.push(p.comment);
    }
    return out;
  }

  // ---- values ----

  private branch(map: YAMLMap<unknown, unknown>, path: string[], withComments: boolean): Branch {
    const taken = new Set<Placement>();
    const items: (Entry | Comment)[] = [];
    for (const pair of map.items as Pair<unknown, unknown>[]) {
      if (withComments) items.push(...this.commentsBefore(map, this.itemStart(pair), taken));
      const key = this.key(pair.key, path);
      items.push({ key, value: this.value(pair.value, [...path, key], withComments) });
    }
    if (withComments) items.push(...this.commentsBefore(map, undefined, taken));
    return new Branch(items);
  }

  private list(seq: YAMLSeq<unknown>, path: string[], withComments: boolean): List {
    const taken = new Set<Placement>();
    const out: List = [];
    for (const item of seq.items) {
      if (withComments) out.push(...this.commentsBefore(seq, this.itemStart(item), taken));
      out.push(this.value(item, path, withComments));
    }
    if (withComments) out.push(...this.commentsBefore(seq, undefined, taken));
    return out;
  }

  private key(node: unknown, path: string[]): string {
    if (isScalar(node)) {
      const v = this.scalar(node, path);
      if (typeof v === 'string') return v;
    }
    const where = path.length ? ` under ${path.join('.')}` : '';
    throw malformed(this.file, 'YAML', `a non-string key${where} (sops only supports string keys: quote it)`);
  }

  private value(node: unknown, path: string[], withComments: boolean): Value {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (!target || this.aliasDepth > 64) throw malformed(this.file, 'YAML', `unresolvable alias *${node.source}`);
      this.aliasDepth++;
      try {
        // Aliases are expanded (anchors are lost), as yaml.v3 + sops do; comments stay at the anchor.
        return this.value(target, path, false);
      } finally {
        this.aliasDepth--;
      }
    }
    if (isMap(node)) return this.branch(node, path, withComments);
    if (isSeq(node)) return this.list(node, path, withComments);
    if (isScalar(node)) return this.scalar(node, path);
    throw malformed(this.file, 'YAML', `unsupported node at ${path.join('.') || 'top level'}`);
  }

  private scalar(node: YamlScalar, path: string[]): Value {
    const text = node.value === null || node.value === undefined ? '' : String(node.value);
    const tag = node.tag;
    if (tag === 'tag:yaml.org,2002:binary') {
      return new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'base64'));
    }
    if (tag === 'tag:yaml.org,2002:str' || (tag && !tag.startsWith('tag:yaml.org,2002:'))) return text;
    if (node.type !== 'PLAIN' && !tag) return text;
    const r = resolvePlain(text);
    if (r.kind === 'uint') {
      throw malformed(this.file, 'YAML', `the integer at ${path.join('.')} is out of int64 range (quote it)`);
    }
    if (r.kind === 'merge') return '<<';
    return r.value;
  }
}

/** Parse YAML text into one branch per document, typed like yaml.v3 and with comments as tree items. */
export function loadYaml(text: string, file: string): Branch[] {
  // One parse serves both the documents and the comments (yaml's parseAllDocuments would lex the text again).
  const tokens = Array.from(new Parser().parse(text));
  const comments = collectComments(text, tokens);
  const list = Array.from(new Composer({ schema: 'failsafe', uniqueKeys: true }).compose(tokens));
  for (const doc of list) {
    const err = doc.errors[0];
    if (err) {
      const offset = err.pos[0];
      const line = text.slice(0, offset).split('\n').length;
      const at = ` at line ${line}, column ${offset - text.lastIndexOf('\n', offset - 1)}`;
      throw malformed(file, 'YAML', `${err.code.toLowerCase().replaceAll('_', ' ')}${at}`);
    }
  }
  // A document owns the comments up to its end (those before its content included).
  let from = 0;
  return list.map((doc, i) => {
    const end = i === list.length - 1 ? Infinity : doc.range[2];
    const mine = comments.filter((c) => c.offset >= from && c.offset < end);
    from = end;
    return new Loader(text, doc, file).load(mine);
  });
}

// ---- emitting ----

const joinComments = (texts: string[]): string => `#${texts.join('\n#')}`;
const prepend = (existing: string | undefined, texts: string[]): string | undefined =>
  texts.length === 0 ? existing : existing ? `${joinComments(texts)}\n${existing}` : joinComments(texts);
const append = (existing: string | undefined, texts: string[]): string | undefined =>
  texts.length === 0 ? existing : existing ? `${existing}\n${joinComments(texts)}` : joinComments(texts);

/** yaml.v3 `Node.Encode` of a scalar as sops uses it. */
function scalarNode(v: Value): YNode {
  if (v === null) return { kind: 'scalar', value: 'null', style: 'plain' };
  if (typeof v === 'boolean') return { kind: 'scalar', value: String(v), style: 'plain' };
  if (v instanceof Int) return { kind: 'scalar', value: v.value.toString(), style: 'plain' };
  if (v instanceof Float) return { kind: 'scalar', value: yamlFloat(v.value), style: 'plain' };
  if (v instanceof Time) return { kind: 'scalar', value: v.text, style: 'plain' };
  if (v instanceof Verbatim) return { kind: 'scalar', value: v.text, style: 'plain' };
  if (v instanceof Uint8Array) {
    const s = decodeUtf8(v);
    if (s === undefined) return { kind: 'scalar', value: Buffer.from(v).toString('base64'), tag: '!!binary', style: 'plain' };
    return stringNode(s);
  }
  return stringNode(v as string);
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function stringNode(s: string): YNode {
  if (s.includes('\n')) return { kind: 'scalar', value: s, style: 'literal' };
  return { kind: 'scalar', value: s, style: plainKeepsString(s) ? 'plain' : 'double' };
}

/** sops `treeValueToNode` / `appendTreeBranch` / `appendSequence`. */
function toNode(v: Value): YNode {
  if (v instanceof Branch) {
    const node: YNode = { kind: 'map', content: [] };
    let head: string[] = [];
    let inline: string[] = [];
    let beginning = true;
    for (const item of v.items) {
      if (item instanceof Comment) {
        (item.inline ? inline : head).push(item.text);
        continue;
      }
      if (beginning) {
        node.head = prepend(node.head, head);
        head = [];
        beginning = false;
      }
      const keyNode = stringNode(item.key);
      keyNode.head = prepend(keyNode.head, head);
      head = [];
      const valueNode = toNode(item.value);
      valueNode.line = append(valueNode.line, inline);
      inline = [];
      node.content!.push(keyNode, valueNode);
    }
    const rest = [...head, ...inline];
    if (rest.length) {
      if (beginning) node.head = prepend(node.head, rest);
      else {
        const lastKey = node.content![node.content!.length - 2];
        lastKey.foot = append(lastKey.foot, rest);
      }
    }
    return node;
  }
  if (Array.isArray(v)) {
    const node: YNode = { kind: 'seq', content: [] };
    let head: string[] = [];
    let inline: string[] = [];
    let beginning = true;
    for (const item of v) {
      if (item instanceof Comment) {
        (item.inline ? inline : head).push(item.text);
        continue;
      }
      if (beginning) {
        node.head = prepend(node.head, head);
        head = [];
        beginning = false;
      }
      const itemNode = toNode(item);
      itemNode.head = prepend(itemNode.head, head);
      head = [];
      itemNode.line = append(itemNode.line, inline);
      inline = [];
      node.content!.push(itemNode);
    }
    const rest = [...head, ...inline];
    if (rest.length) {
      if (beginning) node.head = prepend(node.head, rest);
      else {
        const last = node.content![node.content!.length - 1];
        last.foot = append(last.foot, rest);
      }
    }
    return node;
  }
  return scalarNode(v);
}

/** Emit branches as YAML documents exactly like sops (yaml.v3 encoder, `indent` spaces, default 4). */
export function emitYaml(branches: Branch[], indent = 4): string {
  return emitYamlDocuments(
    branches.map((b) => toNode(b)),
    indent,
  );
}
