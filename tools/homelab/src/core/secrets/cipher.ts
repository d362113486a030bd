/**
 * The value envelope (sops `aes/cipher.go`): AES-256-GCM with a 32-byte IV, the tree path as AAD,
 * `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`. Typed values are encrypted as Go prints them.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { formatFloatF, parseAtoi, parseFloat64, parseGoBool, parseTimeText } from './go-values.ts';
import { Comment, Float, Int, Time, Verbatim, type Scalar } from './tree.ts';

export type TypeTag = 'str' | 'int' | 'float' | 'bool' | 'time' | 'comment' | 'bytes';

const ENC = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/;
const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface Envelope {
  data: Buffer;
  iv: Buffer;
  tag: Buffer;
  type: string;
}

export function isEncrypted(s: unknown): s is string {
  return typeof s === 'string' && ENC.test(s);
}

export function parseEnvelope(s: string): Envelope | undefined {
  const m = ENC.exec(s);
  if (!m || !B64.test(m[1]) || !B64.test(m[2]) || !B64.test(m[3])) return undefined;
  return {
    data: Buffer.from(m[1], 'base64'),
    iv: Buffer.from(m[2], 'base64'),
    tag: Buffer.from(m[3], 'base64'),
    type: m[4],
  };
}

/** The `type:` tag of an envelope, without decrypting (for placeholders). */
export function envelopeType(s: string): string | undefined {
  return ENC.exec(s)?.[4];
}

/** sops `ToBytes`: the plaintext bytes hashed into the MAC and fed to AES-GCM. */
export function valueBytes(v: Scalar | Comment): Buffer {
  if (v instanceof Comment) return Buffer.from(v.text, 'utf8');
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (typeof v === 'boolean') return Buffer.from(v ? 'True' : 'False');
  if (v instanceof Int) return Buffer.from(v.value.toString());
  if (v instanceof Float) return Buffer.from(formatFloatF(v.value));
  if (v instanceof Time) return Buffer.from(v.text);
  if (v instanceof Verbatim) return Buffer.from(v.text);
  throw new Error('null has no bytes');
}

export function typeTagOf(v: Scalar | Comment): TypeTag {
  if (v instanceof Comment) return 'comment';
  if (typeof v === 'string' || v instanceof Uint8Array) return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof Int) return 'int';
  if (v instanceof Float) return 'float';
  if (v instanceof Time) return 'time';
  throw new Error('value cannot be encrypted');
}

/** sops `isEmpty`: empty strings, byte strings and comments are stored as "" (never encrypted). */
export function isEmptyValue(v: Scalar | Comment): boolean {
  if (v instanceof Comment) return v.text === '';
  if (typeof v === 'string') return v === '';
  return v instanceof Uint8Array && v.length === 0;
}

/**
 * Remembers the IV each (AAD, type, plaintext) was decrypted with, so unchanged values re-encrypt to
 * byte-identical ciphertext (sops' cipher stash). Keys are hashes: no second copy of the plaintext.
 */
export class IvStash {
  private readonly ivs = new Map<string, Buffer>();

  private key(aad: string, type: TypeTag, bytes: Buffer): string {
    return createHash('sha256').update(aad).update('\0').update(type).update('\0').update(bytes).digest('base64');
  }

  remember(aad: string, type: TypeTag, bytes: Buffer, iv: Buffer): void {
    this.ivs.set(this.key(aad, type, bytes), iv);
  }

  recall(aad: string, type: TypeTag, bytes: Buffer): Buffer | undefined {
    return this.ivs.get(this.key(aad, type, bytes));
  }
}

/** Encrypt one value; "" for empty values. `iv` forces the IV (tests, stash reuse). */
export function encryptValue(v: Scalar | Comment, key: Buffer, aad: string, stash?: IvStash, iv?: Buffer): string {
  if (isEmptyValue(v)) return '';
  const type = typeTagOf(v);
  const bytes = valueBytes(v);
  const nonce = iv ?? stash?.recall(aad, type, bytes) ?? randomBytes(32);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([c.update(bytes), c.final()]);
  const tag = c.getAuthTag();
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${nonce.toString('base64')},tag:${tag.toString('base64')},type:${type}]`;
}

export class DecryptError extends Error {}

/** Decrypt one envelope into a typed value. Throws DecryptError on any format or authentication failure. */
export function decryptValue(s: string, key: Buffer, aad: string, stash?: IvStash): Scalar | Comment {
  if (s === '') return '';
  const env = parseEnvelope(s);
  if (!env) throw new DecryptError('not a sops envelope');
  if (env.iv.length === 0 || env.tag.length !== 16) throw new DecryptError('bad IV or tag length');
  let bytes: Buffer;
  try {
    const d = createDecipheriv('aes-256-gcm', key, env.iv);
    d.setAAD(Buffer.from(aad, 'utf8'));
    d.setAuthTag(env.tag);
    bytes = Buffer.concat([d.update(env.data), d.final()]);
  } catch {
    throw new DecryptError('authentication failed');
  }
  const value = typed(bytes, env.type);
  if (stash && env.type !== 'bytes') stash.remember(aad, env.type as TypeTag, bytes, env.iv);
  return value;
}

function typed(bytes: Buffer, type: string): Scalar | Comment {
  const text = bytes.toString('utf8');
  switch (type) {
    case 'str': {
      // Go strings hold arbitrary bytes: keep non-UTF-8 data as bytes.
      return Buffer.from(text, 'utf8').equals(bytes) ? text : new Uint8Array(bytes);
    }
    case 'bytes':
      return new Uint8Array(bytes);
    case 'comment':
      return new Comment(text);
    case 'int': {
      const v = parseAtoi(text);
      if (v === undefined) throw new DecryptError('invalid int');
      return new Int(v);
    }
    case 'float': {
      const v = parseFloat64(text);
      if (v === undefined) throw new DecryptError('invalid float');
      return new Float(v);
    }
    case 'bool': {
      const v = parseGoBool(text);
      if (v === undefined) throw new DecryptError('invalid bool');
      return v;
    }
    case 'time': {
      const v = parseTimeText(text);
      if (v === undefined) throw new DecryptError('invalid time');
      return new Time(v);
    }
    default:
      throw new DecryptError(`unknown type ${type}`);
  }
}
