/** The node:crypto X25519 path against sops' age vectors and files age-encryption writes: same answers, or none. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { armor, Decrypter, Encrypter, generateHybridIdentity, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { describe, expect, it } from 'vitest';
import { decryptAll } from './age.ts';
import { openArmored, x25519Recipient } from './age-x25519.ts';

const VECTORS = resolve(import.meta.dirname, '../../../../../test/fixtures/sops/getsops-sops-age-vectors');
const vector = (name: string) => readFileSync(join(VECTORS, name), 'utf8');
const identityIn = (name: string) =>
  vector(name)
    .split('\n')
    .find((l) => l.startsWith('AGE-SECRET-KEY-')) ?? '';

async function encryptTo(recipients: string[], payload: Uint8Array): Promise<string> {
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(r);
  return armor.encode(await e.encrypt(payload));
}

async function libraryOpens(text: string, identity: string): Promise<Uint8Array | undefined> {
  const d = new Decrypter();
  d.addIdentity(identity);
  return decryptAll(d, armor.decode(text)).catch(() => undefined);
}

describe('x25519Recipient', () => {
  it("is age-encryption's recipient for sops' vector and fresh identities", async () => {
    expect(x25519Recipient(identityIn('identity.txt'))).toBe(vector('recipient.txt').trim());
    for (const id of await Promise.all(Array.from({ length: 8 }, () => generateX25519Identity()))) {
      expect(x25519Recipient(id)).toBe(await identityToRecipient(id));
    }
  });

  it('leaves hybrid identities and a broken checksum undecided', async () => {
    expect(x25519Recipient(await generateHybridIdentity())).toBeUndefined();
    const id = await generateX25519Identity();
    const flipped = `${id.slice(0, -1)}${id.endsWith('Q') ? 'P' : 'Q'}`;
    expect(x25519Recipient(flipped)).toBeUndefined();
    await expect(identityToRecipient(flipped)).rejects.toThrow();
  });
});

describe('openArmored', () => {
  it("opens sops' vector with its identity and refuses the other one", () => {
    const text = vector('encrypted-key.age.asc');
    expect(openArmored(text, [identityIn('identity.txt')])?.toString('utf8')).toBe(vector('encrypted-key.plain.txt').trimEnd());
    expect(openArmored(text, [identityIn('other-identity.txt')])).toBeNull();
  });

  it('opens a file with X25519 and hybrid stanzas for the X25519 identity, as the library does', async () => {
    const [mine, other] = await Promise.all([generateX25519Identity(), generateHybridIdentity()]);
    const payload = new Uint8Array(32).map((_, i) => i);
    const text = await encryptTo([await identityToRecipient(other), await identityToRecipient(mine)], payload);
    expect(openArmored(text, [mine])).toEqual(Buffer.from(payload));
    expect(await libraryOpens(text, mine)).toEqual(payload);
    expect(openArmored(text, [other])).toBeUndefined();
  });

  it('refuses a file whose header MAC or payload was altered, as the library does', async () => {
    const id = await generateX25519Identity();
    const file = armor.decode(await encryptTo([await identityToRecipient(id)], new Uint8Array(32)));
    const macAt = Buffer.from(file).indexOf('\n--- ') + 5;
    // The MAC is base64 in the header: its first character becomes another base64 character (a flipped bit could
    // leave the alphabet, an unparsable header rather than a wrong MAC); the payload's last byte has a bit flipped.
    const otherBase64 = (c: number) => (c === 0x41 ? 0x42 : 0x41);
    for (const [at, alter] of [
      [macAt, otherBase64],
      [file.length - 1, (c: number) => c ^ 1],
    ] as const) {
      const altered = Uint8Array.from(file);
      altered[at] = alter(altered[at]);
      const text = armor.encode(altered);
      expect(openArmored(text, [id])).toBeNull();
      expect(await libraryOpens(text, id)).toBeUndefined();
    }
  });

  it('leaves payloads over one chunk and unparsable armor to the library', async () => {
    const id = await generateX25519Identity();
    const big = await encryptTo([await identityToRecipient(id)], new Uint8Array(70_000));
    expect(openArmored(big, [id])).toBeUndefined();
    expect(openArmored('-----BEGIN AGE ENCRYPTED FILE-----\n!!!!\n-----END AGE ENCRYPTED FILE-----\n', [id])).toBeUndefined();
  });
});
