/**
 * Tree-level encryption and decryption (sops `Tree.Encrypt`/`Tree.Decrypt` and common.DecryptTree):
 * every leaf in walk order through the file's rule, the SHA-512 MAC over the plaintext leaves, and
 * the MAC sealed with `lastmodified` as AAD. Decryption always verifies the MAC.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { decryptValue, DecryptError, encryptValue, isEmptyValue, isEncrypted, IvStash, valueBytes } from './cipher.ts';
import { macMismatch, type SopsError } from './errors.ts';
import { formatFloatF, normalizeRfc3339 } from './go-values.ts';
import type { EncryptionRule } from './metadata.ts';
import { encryptPredicate } from './rules.ts';
import type { EncryptedDocument } from './stores/index.ts';
import { aadOf, Comment, Float, formatPath, Int, mapLeaves, type Branch, type Scalar } from './tree.ts';

/** Compare dotted versions numerically (`3.9.0` < `3.13.2`). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.+-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** sha256("sops"): the MAC prefix that marks mac_only_encrypted files. */
const MAC_ONLY_PREFIX = createHash('sha256').update('sops').digest();

export interface DecryptedTree {
  branches: Branch[];
  /** IVs of every decrypted value, for byte-identical re-encryption of unchanged values. */
  stash: IvStash;
  /** Decrypted (non-empty) values as text, in walk order: what an output masker must hide. */
  leaves: string[];
  /** The verified MAC (uppercase hex SHA-512). */
  macHex: string;
}

function tampered(file: string, path: readonly (string | number)[], what: string): SopsError {
  return macMismatch(file, `${what} at ${formatPath(path)}`);
}

/** Text of a decrypted value as a masker would see it printed. */
export function leafText(v: Scalar): string | undefined {
  if (v === null) return undefined;
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (typeof v === 'boolean') return String(v);
  if (v instanceof Int) return v.value.toString();
  if (v instanceof Float) return String(v.value);
  return v.text;
}

function sameMac(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Decrypt a loaded file with its data key; throws a MAC-mismatch error for any sign of tampering. */
export function decryptDocument(doc: EncryptedDocument, dataKey: Buffer, file: string): DecryptedTree {
  const md = doc.metadata;
  const shouldEncrypt = encryptPredicate(md.rule, file);
  const stash = new IvStash();
  const leaves: string[] = [];
  const hash = createHash('sha512');
  if (md.macOnlyEncrypted) hash.update(MAC_ONLY_PREFIX);
  // sops < 3.13.2 read every JSON number as float64, so its MAC hashed clear-text ints as floats.
  const floatInts = (doc.format === 'json' || doc.format === 'binary') && compareVersions(md.version, '3.13.2') < 0;
  const branches = mapLeaves(doc.branches, ({ value, keys, path, commentStack }) => {
    const isComment = value instanceof Comment;
    const encrypted = shouldEncrypt(keys, commentStack, isComment);
    if (value instanceof Comment) {
      if (!encrypted) return value;
      // yaml.v3 may attach a comment to an enclosing collection: try the innermost path, then ancestors.
      for (let n = keys.length; n >= 0; n--) {
        const aad = aadOf(keys.slice(0, n));
        try {
          const out = decryptValue(value.text, dataKey, aad, stash);
          if (out instanceof Comment) return new Comment(out.text, value.inline, aad);
        } catch {
          // not this path
        }
      }
      return value; // sops keeps undecryptable comments (written before comment encryption existed)
    }
    let plain: Scalar = value;
    if (encrypted) {
      if (typeof value !== 'string') throw tampered(file, path, 'a value that should be encrypted is in clear text');
      try {
        const out = decryptValue(value, dataKey, aadOf(keys), stash);
        if (out instanceof Comment) throw new DecryptError('comment envelope in a value');
        plain = out;
      } catch (err) {
        if (!(err instanceof DecryptError)) throw err;
        throw tampered(file, path, 'a value that does not decrypt');
      }
      const text = leafText(plain);
      if (text) leaves.push(text);
    }
    if (!md.macOnlyEncrypted || encrypted) {
      hash.update(floatInts && !encrypted && plain instanceof Int ? Buffer.from(formatFloatF(Number(plain.value))) : valueBytes(plain));
    }
    return plain;
  });
  const computed = hash.digest('hex').toUpperCase();
  if (md.mac === '') throw macMismatch(file, 'the file has no MAC');
  const aad = normalizeRfc3339(md.lastModified) as string;
  let stored: string;
  try {
    const out = decryptValue(md.mac, dataKey, aad);
    if (typeof out !== 'string') throw new DecryptError('MAC is not a string');
    stored = out;
  } catch (err) {
    if (!(err instanceof DecryptError)) throw err;
    throw macMismatch(file, 'the MAC cannot be decrypted');
  }
  if (!sameMac(stored, computed)) throw macMismatch(file);
  return { branches, stash, leaves, macHex: computed };
}

export interface EncryptedTree {
  branches: Branch[];
  /** Uppercase hex SHA-512 over the plaintext leaves. */
  macHex: string;
}

/**
 * Encrypt plaintext branches; `stash` reuses the IV of every unchanged (AAD, type, plaintext).
 * `floatInts`: hash clear-text ints as floats, as the sops < 3.13.2 recorded in a JSON file did.
 */
export function encryptBranches(
  branches: Branch[],
  dataKey: Buffer,
  rule: EncryptionRule,
  macOnlyEncrypted: boolean,
  file: string,
  stash?: IvStash,
  floatInts = false,
): EncryptedTree {
  const shouldEncrypt = encryptPredicate(rule, file);
  const hash = createHash('sha512');
  if (macOnlyEncrypted) hash.update(MAC_ONLY_PREFIX);
  const out = mapLeaves(branches, ({ value, keys, commentStack }) => {
    const isComment = value instanceof Comment;
    const encrypted = shouldEncrypt(keys, commentStack, isComment);
    if (!isComment && (!macOnlyEncrypted || encrypted)) {
      hash.update(floatInts && !encrypted && value instanceof Int ? Buffer.from(formatFloatF(Number(value.value))) : valueBytes(value));
    }
    if (!encrypted) return value;
    // A comment we could not decrypt (yaml.v3 attached it elsewhere) stays as it was, never double-encrypted.
    if (value instanceof Comment && isEncrypted(value.text)) return value;
    const aad = value instanceof Comment && value.aad !== undefined ? value.aad : aadOf(keys);
    const enc = isEmptyValue(value) ? '' : encryptValue(value, dataKey, aad, stash);
    return value instanceof Comment ? new Comment(enc, value.inline) : enc;
  });
  return { branches: out, macHex: hash.digest('hex').toUpperCase() };
}

/** The stored `mac`: the hex MAC encrypted as a string with the normalized lastmodified as AAD. */
export function sealMac(macHex: string, dataKey: Buffer, lastModified: string): string {
  return encryptValue(macHex, dataKey, normalizeRfc3339(lastModified) as string);
}
