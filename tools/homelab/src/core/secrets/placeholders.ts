/**
 * Keyless placeholders: from an encrypted file alone, a plaintext document with the same structure
 * and typed dummy values (from each ENC[…] `type:` tag), so charts render without any key (CI). The
 * output depends only on the file, never on time or randomness, so caches keyed on it stay valid.
 */
import { createHash } from 'node:crypto';
import { envelopeType, isEncrypted } from './cipher.ts';
import { formatFromPath, type SopsFormat } from './format.ts';
import { readSecretFile, views } from './result.ts';
import { emitPlain, loadEncrypted } from './stores/index.ts';
import { Branch, Comment, formatPath, Int, mapLeaves, Time, Verbatim, type PathSegment, type Scalar, type Value } from './tree.ts';

export const PLACEHOLDER_TIME = '1970-01-01T00:00:00Z';

/**
 * `tag` (distinct placeholders only) is a number drawn from the value's ciphertext: a value whose ciphertext changed
 * gets another placeholder, so a render that prints it differs. A boolean has no room for one.
 */
function dummy(type: string | undefined, path: readonly PathSegment[], tag?: number): Scalar {
  switch (type) {
    case 'int':
      return new Int(tag ?? 0);
    case 'float':
      // Written `0.0` so that it reads back as a float.
      return tag === undefined ? new Verbatim('0.0', 0) : new Verbatim(`0.${tag}`, Number(`0.${tag}`));
    case 'bool':
      return false;
    case 'time':
      return new Time(tag === undefined ? PLACEHOLDER_TIME : new Date(tag * 1000).toISOString().replace('.000Z', 'Z'));
    default:
      return tag === undefined ? `placeholder-${formatPath(path)}` : `placeholder-${formatPath(path)}-${tag.toString(16).padStart(8, '0')}`;
  }
}

/** A 32-bit number of the ciphertext (public, in git): equal ciphertexts give equal placeholders. */
const ciphertextTag = (envelope: string) => createHash('sha256').update(envelope).digest().readUInt32BE(0);

/**
 * Encrypted comments carry nothing useful without a key and may say anything: drop them, keep clear-text ones (the
 * placeholders and the masked view of `secrets view` both print documents without them).
 */
export function withoutEncryptedComments(v: Value): Value {
  const keep = (i: unknown): boolean => !(i instanceof Comment && isEncrypted(i.text));
  if (v instanceof Branch) {
    return new Branch(v.items.filter(keep).map((i) => (i instanceof Comment ? i : { key: i.key, value: withoutEncryptedComments(i.value) })));
  }
  if (Array.isArray(v)) return v.filter(keep).map((i) => (i instanceof Comment ? i : withoutEncryptedComments(i)));
  return v;
}

export interface PlaceholderDocument {
  format: SopsFormat;
  /** The placeholder document in the file's own format. */
  plaintext: Buffer;
  data: unknown;
  documents: unknown[];
}

export interface PlaceholderOptions {
  /**
   * Placeholders that also tell ciphertexts apart (`placeholder-<path>-<8 hex>`), for comparing two versions of a
   * file: a value re-encrypted alone keeps its ciphertext (`sops edit`), so only changed values change placeholder.
   */
  distinct?: boolean;
}

/** Placeholders for an encrypted document given as bytes; clear-text (unencrypted) values are kept. */
export function placeholderDocument(
  encrypted: string | Uint8Array,
  format: SopsFormat,
  file = `<${format} document>`,
  options: PlaceholderOptions = {},
): PlaceholderDocument {
  const bytes = typeof encrypted === 'string' ? Buffer.from(encrypted, 'utf8') : encrypted;
  const doc = loadEncrypted(bytes, format, file);
  const branches = mapLeaves(doc.branches, ({ value, path }) => {
    if (value instanceof Comment) return value;
    return isEncrypted(value) ? dummy(envelopeType(value), path, options.distinct ? ciphertextTag(value) : undefined) : value;
  }).map((b) => withoutEncryptedComments(b) as Branch);
  return { format, plaintext: emitPlain(format, branches, file), ...views(branches) };
}

/** The placeholder document (bytes in the file's format) for an encrypted file on disk. */
export async function placeholderFile(file: string, format: SopsFormat = formatFromPath(file), options: PlaceholderOptions = {}): Promise<Buffer> {
  return placeholderDocument(await readSecretFile(file), format, file, options).plaintext;
}
