/**
 * Encrypted documents as parsed, kept between runs. The YAML library parses a shared store of a thousand charts'
 * secrets (150 KB of ciphertext) in over 0.1 s, the largest part of rendering one chart from it; JSON gives the same
 * tree back in a few milliseconds. An entry holds only what the file itself holds in git — ciphertexts, key stanzas,
 * the MAC, unencrypted values and comments — under `<root>/node_modules/.cache/homelab/sops/`, one entry per file
 * path, used while the file's bytes, its format and the toolkit's build hash the same (an edit replaces the entry).
 * Nothing decrypted is ever written; the MAC is verified on every decryption as before. A document JSON cannot give
 * back exactly (a float such as -0 or NaN, a key group of another kind of master key) is parsed every time.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { writeCacheEntry } from '../workspace/atomic-write.ts';
import { toolkitFingerprint } from '../workspace/toolkit-fingerprint.ts';
import type { SopsFormat } from './format.ts';
import type { SopsMetadata } from './metadata.ts';
import { loadEncrypted, type EncryptedDocument } from './stores/index.ts';
import { Branch, Comment, Float, Int, Time, type Entry, type List, type Value } from './tree.ts';

/** `loadEncrypted` through the cache of `root` (none where the workspace has no node_modules). */
export function loadEncryptedCached(bytes: Uint8Array, format: SopsFormat, file: string, root: string): EncryptedDocument {
  if (!existsSync(path.join(root, 'node_modules'))) return loadEncrypted(bytes, format, file);
  const key = createHash('sha256').update(`${format}\0${toolkitFingerprint()}\0`).update(bytes).digest('hex');
  // Named by the workspace-relative path: checkouts sharing one node_modules/.cache (linked) reuse a name, not add one.
  const name = createHash('sha256')
    .update(path.relative(root, path.resolve(file)))
    .digest('hex')
    .slice(0, 32);
  const entry = path.join(root, 'node_modules', '.cache', 'homelab', 'sops', `${name}.json`);
  const cached = readEntry(entry, key);
  if (cached) return cached;
  const doc = loadEncrypted(bytes, format, file);
  const encoded = encodeDocument(key, doc);
  if (encoded !== undefined) writeCacheEntry(entry, encoded);
  return doc;
}

type Encoded =
  | string
  | boolean
  | null
  | { m: ({ k: string; v: Encoded } | EncodedComment)[] }
  | { l: (Encoded | EncodedComment)[] }
  | { i: string }
  | { f: number }
  | { t: string; s: string }
  | { b: string };
type EncodedComment = { c: string; n?: true; a?: string };

class Unencodable extends Error {}

function encodeComment(comment: Comment): EncodedComment {
  return { c: comment.text, ...(comment.inline ? { n: true as const } : {}), ...(comment.aad === undefined ? {} : { a: comment.aad }) };
}

function encodeValue(value: Value): Encoded {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (value instanceof Branch) {
    return { m: value.items.map((item) => (item instanceof Comment ? encodeComment(item) : { k: item.key, v: encodeValue(item.value) })) };
  }
  if (Array.isArray(value)) return { l: value.map((item) => (item instanceof Comment ? encodeComment(item) : encodeValue(item))) };
  if (value instanceof Int) return { i: value.value.toString() };
  if (value instanceof Float && Number.isFinite(value.value) && !Object.is(value.value, -0)) return { f: value.value };
  if (value instanceof Time) return { t: value.text, s: value.source };
  if (value instanceof Uint8Array) return { b: Buffer.from(value).toString('base64') };
  throw new Unencodable();
}

function decodeComment(item: EncodedComment): Comment {
  return new Comment(item.c, item.n === true, item.a);
}

const isComment = (item: object): item is EncodedComment => 'c' in item;

function decodeValue(value: Encoded): Value {
  if (value === null || typeof value !== 'object') return value;
  if ('m' in value)
    return new Branch(value.m.map((item): Entry | Comment => (isComment(item) ? decodeComment(item) : { key: item.k, value: decodeValue(item.v) })));
  if ('l' in value)
    return value.l.map((item) => (item !== null && typeof item === 'object' && isComment(item) ? decodeComment(item) : decodeValue(item as Encoded))) as List;
  if ('i' in value) return new Int(BigInt(value.i));
  if ('f' in value) return new Float(value.f);
  if ('t' in value) return new Time(value.t, value.s);
  return new Uint8Array(Buffer.from(value.b, 'base64'));
}

interface Stored {
  key: string;
  format: SopsFormat;
  branches: Encoded[];
  metadata: SopsMetadata;
  layout: EncryptedDocument['layout'];
}

function encodeDocument(key: string, doc: EncryptedDocument): string | undefined {
  // Metadata is plain data, except master keys of other kinds, kept as parsed (objects without a prototype).
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(doc.metadata)), doc.metadata)) return undefined;
  try {
    return JSON.stringify({ key, format: doc.format, branches: doc.branches.map(encodeValue), metadata: doc.metadata, layout: doc.layout } satisfies Stored);
  } catch (err) {
    if (err instanceof Unencodable) return undefined;
    throw err;
  }
}

/** The entry's document, or undefined when it is absent, for other bytes, or not one this code wrote (then parsed again). */
function readEntry(file: string, key: string): EncryptedDocument | undefined {
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Stored;
    if (stored.key !== key) return undefined;
    return { format: stored.format, branches: stored.branches.map((b) => decodeValue(b) as Branch), metadata: stored.metadata, layout: stored.layout };
  } catch {
    return undefined;
  }
}
