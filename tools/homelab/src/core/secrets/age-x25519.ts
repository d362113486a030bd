/**
 * age decryption for X25519 identities with node:crypto alone (age v1: armor, header, X25519 stanza, header MAC,
 * STREAM payload). Loading age-encryption and its @noble libraries costs a render more CPU than the rest of a
 * decryption, and every sops file made with an `age1…` recipient needs only this. Anything else — post-quantum or
 * passphrase stanzas, a header this parser would not accept, a payload over one chunk — is left to age-encryption:
 * these functions answer `undefined` for "not decided here", so the library stays the judge of every edge case.
 */
import { createDecipheriv, createHmac, createPrivateKey, createPublicKey, diffieHellman, hkdfSync, type KeyObject, timingSafeEqual } from 'node:crypto';

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function polymod(values: readonly number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GENERATOR[i];
  }
  return chk >>> 0;
}

const expandPrefix = (prefix: string) => [...prefix].map((c) => c.charCodeAt(0) >> 5).concat(0, ...[...prefix].map((c) => c.charCodeAt(0) & 31));

/** A bech32 string's prefix and 8-bit data, or undefined for anything bech32 (BIP 173) refuses. */
function bech32Decode(text: string): { prefix: string; bytes: Buffer } | undefined {
  if (text !== text.toLowerCase() && text !== text.toUpperCase()) return undefined;
  const s = text.toLowerCase();
  const sep = s.lastIndexOf('1');
  if (sep < 1 || s.length - sep - 1 < 6) return undefined;
  const prefix = s.slice(0, sep);
  if (![...prefix].every((c) => c.charCodeAt(0) >= 33 && c.charCodeAt(0) <= 126)) return undefined;
  const words: number[] = [];
  for (const c of s.slice(sep + 1)) {
    const w = CHARSET.indexOf(c);
    if (w === -1) return undefined;
    words.push(w);
  }
  if (polymod([...expandPrefix(prefix), ...words]) !== 1) return undefined;
  const bytes = convertBits(words.slice(0, -6), 5, 8, false);
  return bytes && { prefix, bytes: Buffer.from(bytes) };
}

/**
 * Regroups `data` from `from`-bit into `to`-bit numbers. `pad`: the last group is filled with zero bits (encoding);
 * otherwise leftover bits must be fewer than `from` and zero, as in every encoder's output (decoding).
 */
function convertBits(data: Iterable<number>, from: number, to: number, pad: boolean): number[] | undefined {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const v of data) {
    acc = (acc << from) | v;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((acc >> bits) & ((1 << to) - 1));
    }
    acc &= (1 << bits) - 1;
  }
  if (pad) {
    if (bits > 0) out.push((acc << (to - bits)) & ((1 << to) - 1));
  } else if (bits >= from || acc !== 0) {
    return undefined;
  }
  return out;
}

function bech32Encode(prefix: string, bytes: Uint8Array): string {
  const words = convertBits(bytes, 8, 5, true) ?? [];
  const chk = polymod([...expandPrefix(prefix), ...words, 0, 0, 0, 0, 0, 0]) ^ 1;
  const checksum = [25, 20, 15, 10, 5, 0].map((shift) => (chk >>> shift) & 31);
  return `${prefix}1${[...words, ...checksum].map((w) => CHARSET[w]).join('')}`;
}

// The fixed DER prefixes of an X25519 key (RFC 8410): Node imports raw X25519 keys only wrapped in them.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

interface X25519Identity {
  key: KeyObject;
  /** The recipient's public key, the second half of the stanza's HKDF salt. */
  publicKey: Buffer;
}

function x25519Identity(identity: string): X25519Identity | undefined {
  // age writes identities upper-case only; bech32 itself also accepts the lower-case form.
  if (identity !== identity.toUpperCase()) return undefined;
  const decoded = bech32Decode(identity);
  if (decoded?.prefix !== 'age-secret-key-' || decoded.bytes.length !== 32) return undefined;
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, decoded.bytes]), format: 'der', type: 'pkcs8' });
  return { key, publicKey: createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length) };
}

/** The `age1…` recipient of an X25519 identity; undefined for any other identity (and an invalid one). */
export function x25519Recipient(identity: string): string | undefined {
  const id = x25519Identity(identity);
  return id && bech32Encode('age', id.publicKey);
}

/** Canonical base64 only (what age writes): the library refuses the rest, so those files stay its to judge. */
function base64(text: string, padded: boolean): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  const again = bytes.toString('base64');
  return (padded ? again : again.replace(/=+$/, '')) === text ? bytes : undefined;
}

/** The binary age file inside sops' ASCII armor. */
function dearmor(text: string): Buffer | undefined {
  const lines = text.trim().replaceAll('\r\n', '\n').split('\n');
  if (lines.shift() !== '-----BEGIN AGE ENCRYPTED FILE-----' || lines.pop() !== '-----END AGE ENCRYPTED FILE-----') return undefined;
  const last = lines.length - 1;
  if (!lines.every((l, i) => (i === last ? l.length > 0 && l.length <= 64 && l.length % 4 === 0 : l.length === 64))) return undefined;
  return base64(lines.join(''), true);
}

interface Stanza {
  args: string[];
  body: Buffer;
}

interface Header {
  stanzas: Stanza[];
  /** The bytes the MAC covers: up to and including `---`. */
  signed: Buffer;
  mac: Buffer;
  /** Where the payload nonce starts. */
  end: number;
}

function parseHeader(file: Buffer): Header | undefined {
  const stanzas: Stanza[] = [];
  let pos = 0;
  const line = (): string | undefined => {
    const nl = file.indexOf(0x0a, pos);
    if (nl === -1) return undefined;
    const text = file.toString('latin1', pos, nl);
    pos = nl + 1;
    // Printable ASCII, as the format allows: anything else is for the library to refuse.
    return /^[\x20-\x7e]*$/.test(text) ? text : undefined;
  };
  if (line() !== 'age-encryption.org/v1') return undefined;
  for (;;) {
    const start = pos;
    const args = line()?.split(' ');
    if (!args) return undefined;
    if (args[0] === '->' && args.length >= 2) {
      if (args.some((a) => a === '')) return undefined;
      const body: Buffer[] = [];
      for (;;) {
        const text = line();
        const chunk = text === undefined ? undefined : base64(text, false);
        if (!chunk || chunk.length > 48) return undefined;
        body.push(chunk);
        if (chunk.length < 48) break;
      }
      stanzas.push({ args: args.slice(1), body: Buffer.concat(body) });
      continue;
    }
    if (args[0] !== '---' || args.length !== 2) return undefined;
    const mac = base64(args[1], false);
    if (!mac) return undefined;
    return { stanzas, signed: file.subarray(0, start + 3), mac, end: pos };
  }
}

const hkdf = (key: Uint8Array, salt: Uint8Array, info: string) => Buffer.from(hkdfSync('sha256', key, salt, info, 32));

/** ChaCha20-Poly1305 with the tag at the end; null when it does not authenticate. */
function open(key: Buffer, nonce: Buffer, sealed: Buffer): Buffer | null {
  if (sealed.length < 16) return null;
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
  } catch {
    return null;
  }
}

/** The file key from the first X25519 stanza an identity opens, in age-encryption's order; undefined when unsure. */
function unwrapFileKey(stanzas: readonly Stanza[], identities: readonly X25519Identity[]): Buffer | null | undefined {
  for (const id of identities) {
    for (const s of stanzas) {
      if (s.args[0] !== 'X25519') continue;
      const share = s.args.length === 2 ? base64(s.args[1], false) : undefined;
      if (share?.length !== 32 || s.body.length !== 32) return undefined;
      let secret: Buffer;
      try {
        secret = diffieHellman({
          privateKey: id.key,
          publicKey: createPublicKey({ key: Buffer.concat([SPKI_PREFIX, share]), format: 'der', type: 'spki' }),
        });
      } catch {
        // A low-order share: how the library treats it is its call.
        return undefined;
      }
      const fileKey = open(hkdf(secret, Buffer.concat([share, id.publicKey]), 'age-encryption.org/v1/X25519'), Buffer.alloc(12), s.body);
      if (fileKey) return fileKey;
    }
  }
  return null;
}

const CHUNK = 64 * 1024 + 16;

/**
 * The plaintext of armored age `text` for X25519 `identities`: null when it does not open with them, undefined when
 * age-encryption must decide (another identity or stanza kind, a header or payload this does not handle).
 */
export function openArmored(text: string, identities: readonly string[]): Buffer | null | undefined {
  const ids = identities.map(x25519Identity);
  if (!ids.every((id) => id !== undefined)) return undefined;
  const file = dearmor(text);
  const header = file && parseHeader(file);
  if (!file || !header || header.stanzas.some((s) => s.args[0] === 'scrypt')) return undefined;
  const fileKey = unwrapFileKey(header.stanzas, ids);
  if (!fileKey) return fileKey;
  const mac = createHmac('sha256', hkdf(fileKey, Buffer.alloc(0), 'header'))
    .update(header.signed)
    .digest();
  if (mac.length !== header.mac.length || !timingSafeEqual(mac, header.mac)) return null;
  const nonce = file.subarray(header.end, header.end + 16);
  const payload = file.subarray(header.end + 16);
  // One final chunk (a sops data key is 32 bytes); longer streams are the library's.
  if (nonce.length !== 16 || payload.length < 16 || payload.length > CHUNK) return undefined;
  return open(hkdf(fileKey, nonce, 'payload'), Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), payload);
}
