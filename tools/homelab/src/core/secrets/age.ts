/**
 * The age layer (sops `age/keysource.go`): each recipient gets an ASCII-armored age file holding the
 * 32-byte data key (or, with several key groups, its Shamir share). Decryption does not match
 * identities to recipient strings: every age entry is tried with every identity, as sops does.
 */
import type { Decrypter } from 'age-encryption';
import { openArmored, x25519Recipient } from './age-x25519.ts';
import { unsupported, wrongKey } from './errors.ts';
import { ageRecipients, type SopsMetadata } from './metadata.ts';

/** Recipient kinds the built-in backend can encrypt to (X25519, and ML-KEM-768 hybrid since sops 3.12). */
export function checkRecipient(recipient: string, file: string): 'x25519' | 'hybrid' {
  const r = recipient.trim();
  if (r.startsWith('age1pq1')) return 'hybrid';
  if (r.startsWith('age1') && r.indexOf('1', 4) === -1) return 'x25519';
  const kind = r.startsWith('ssh-') ? 'an age SSH recipient' : r.startsWith('age1') ? 'an age plugin recipient' : 'not an age recipient';
  throw unsupported(
    file,
    `recipient ${JSON.stringify(r)} is ${kind}`,
    'the built-in SOPS backend supports age1… (X25519) and age1pq1… recipients; install sops for others',
  );
}

/** Armored age encryption of `payload` to one recipient (sops stores the armor verbatim, final newline included). */
export async function wrapKey(payload: Uint8Array, recipient: string, file: string): Promise<string> {
  checkRecipient(recipient, file);
  const { armor, Encrypter } = await import('age-encryption');
  const e = new Encrypter();
  e.addRecipient(recipient.trim());
  return armor.encode(await e.encrypt(payload));
}

/** An identity string's recipient (validates the identity). */
export async function recipientOf(identity: string): Promise<string> {
  return x25519Recipient(identity) ?? (await import('age-encryption')).identityToRecipient(identity);
}

/**
 * age's decrypt of a whole file, through its stream form: handed bytes, age collects its output with
 * `new Response(stream)`, which loads Node's fetch implementation — more startup than the rest of a decryption.
 */
export async function decryptAll(d: Decrypter, file: Uint8Array): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of await d.decrypt(new Blob([file]).stream())) chunks.push(chunk);
  // A plain Uint8Array, as age returns: shamir-secret-sharing refuses a Buffer.
  return new Uint8Array(Buffer.concat(chunks));
}

async function tryUnwrap(enc: string, identities: readonly string[]): Promise<Uint8Array | undefined> {
  const opened = openArmored(enc, identities);
  // A plain Uint8Array, as age returns: shamir-secret-sharing refuses a Buffer.
  if (opened !== undefined) return opened === null ? undefined : new Uint8Array(opened);
  const { armor, Decrypter } = await import('age-encryption');
  let file: Uint8Array;
  try {
    file = armor.decode(enc);
  } catch {
    return undefined;
  }
  const d = new Decrypter();
  for (const id of identities) d.addIdentity(id);
  try {
    return await decryptAll(d, file);
  } catch {
    return undefined;
  }
}

export interface UnwrappedKey {
  dataKey: Buffer;
  /** The share each key group yielded (index = group), for re-wrapping one group. */
  parts: (Uint8Array | undefined)[];
}

/** Recover the data key: first age entry per group that opens, Shamir-combined across groups. */
export async function unwrapDataKey(md: SopsMetadata, identities: readonly string[], file: string, sources: readonly string[]): Promise<UnwrappedKey> {
  const parts: (Uint8Array | undefined)[] = [];
  for (const group of md.keyGroups) {
    let part: Uint8Array | undefined;
    for (const entry of group.age) {
      part = await tryUnwrap(entry.enc, identities);
      if (part) break;
    }
    parts.push(part);
  }
  const got = parts.filter((p): p is Uint8Array => p !== undefined);
  let dataKey: Uint8Array | undefined;
  if (md.keyGroups.length === 1) dataKey = got[0];
  else {
    const threshold = md.shamirThreshold || md.keyGroups.length;
    // Loaded only here: a file with one key group (the usual case) never needs Shamir.
    if (got.length >= threshold) dataKey = await (await import('shamir-secret-sharing')).combine(got);
  }
  if (!dataKey || dataKey.length !== 32) throw wrongKey(file, ageRecipients(md), sources);
  return { dataKey: Buffer.from(dataKey), parts };
}
