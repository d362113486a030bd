/**
 * Editing in place: unchanged values keep their exact ciphertext (IV reuse), comments and order stay,
 * rotate re-keys everything, recipients add/remove re-wrap the same key, writes are atomic.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrapDataKey } from './age.ts';
import { writeFileAtomic } from './atomic.ts';
import { loadEncrypted } from './stores/index.ts';
import { decryptFile, encryptDocument } from './backend.ts';
import { editFile, rotateFile, updateRecipients } from './builtin.ts';
import { Int, Time } from './tree.ts';

const FIXTURES = resolve(import.meta.dirname, '../../../../../test/fixtures/sops');
const tmp = mkdtempSync(join(tmpdir(), 'sops-edit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let id: string;
let recipient: string;
beforeAll(async () => {
  id = await generateX25519Identity();
  recipient = await identityToRecipient(id);
});

const optsFor = (key: string) => ({ workspaceRoot: tmp, env: { HOME: tmp, SOPS_AGE_KEY: key } });
const read = (f: string) => readFileSync(f, 'utf8');
const ENC = /ENC\[AES256_GCM,[^\]]+\]/g;

const DOC = [
  '# database settings',
  'db:',
  '    user: admin # the login',
  '    password: s3cr3t',
  '    port: 5432',
  '    # keep this comment',
  'tokens:',
  '    - aaa',
  '    - bbb',
  'when: 2024-01-01',
  'plain_unencrypted: visible',
  '',
].join('\n');

async function fresh(name: string, text = DOC): Promise<string> {
  const file = join(tmp, name);
  writeFileSync(file, await encryptDocument(text, { format: 'yaml', recipients: [recipient] }));
  return file;
}

describe('editFile', () => {
  it('changes one value: every other line, ENC string and comment stays byte-identical', async () => {
    const file = await fresh('edit.yaml');
    const before = read(file).split('\n');
    const result = await editFile(file, (doc) => doc.set(['db', 'password'], 'n3w'), { ...optsFor(id), now: new Date('2030-01-01T00:00:00Z') });
    expect(result.changed).toBe(true);
    const after = read(file).split('\n');
    expect(after.length).toBe(before.length);
    const changed = after.map((l, i) => (l === before[i] ? null : l.trim().split(':')[0])).filter((x) => x !== null);
    expect(changed).toEqual(['password', 'lastmodified', 'mac']);
    expect(read(file)).toContain('    lastmodified: "2030-01-01T00:00:00Z"\n');
    const r = await decryptFile(file, { ...optsFor(id), backend: 'builtin' });
    expect(r.data).toEqual({
      db: { user: 'admin', password: 'n3w', port: 5432 },
      tokens: ['aaa', 'bbb'],
      when: '2024-01-01T00:00:00Z',
      plain_unencrypted: 'visible',
    });
    expect(r.plaintext.toString()).toBe(DOC.replace('s3cr3t', 'n3w').replace('2024-01-01', '2024-01-01T00:00:00Z'));
  });

  it('adds, removes and appends; keeps order and comments', async () => {
    const file = await fresh('add.yaml');
    const before = read(file);
    await editFile(
      file,
      (doc) => {
        doc.set(['db', 'host'], 'db.local');
        doc.set(['new', 'nested', 'deep'], new Int(7));
        doc.set(['tokens', 2], 'ccc');
        expect(doc.delete(['tokens', 0])).toBe(true);
        expect(doc.delete(['absent'])).toBe(false);
        doc.set(['when'], new Time('2025-05-05T05:05:05Z'));
      },
      optsFor(id),
    );
    const r = await decryptFile(file, { ...optsFor(id), backend: 'builtin' });
    expect(r.data).toEqual({
      db: { user: 'admin', password: 's3cr3t', port: 5432, host: 'db.local' },
      tokens: ['bbb', 'ccc'],
      when: '2025-05-05T05:05:05Z',
      plain_unencrypted: 'visible',
      new: { nested: { deep: 7 } },
    });
    expect(r.plaintext.toString()).toContain('    # keep this comment\n    host: db.local\n');
    // untouched values keep their ciphertext
    const oldEnc = new Set(before.match(ENC));
    const kept = (read(file).match(ENC) ?? []).filter((e) => oldEnc.has(e));
    expect(kept.length).toBeGreaterThanOrEqual(6);
  });

  it('a no-op edit writes nothing', async () => {
    const file = await fresh('noop.yaml');
    const before = read(file);
    const r = await editFile(file, (doc) => doc.set(['db', 'user'], 'admin'), optsFor(id));
    expect(r.changed).toBe(false);
    expect(read(file)).toBe(before);
  });

  it('edits a real sops file (2-space indent, sops 3.8.1) keeping its data lines', async () => {
    const file = join(tmp, 'humphd.yaml');
    copyFileSync(join(FIXTURES, 'humphd-sops-age/secret.enc.yaml'), file);
    const key = readFileSync(join(FIXTURES, 'humphd-sops-age/key.txt'), 'utf8');
    const data = (s: string) => s.slice(0, s.indexOf('sops:')).split('\n');
    const before = data(read(file));
    await editFile(file, (doc) => doc.set(['complex', 'array', 1], 'TWO'), optsFor(key));
    const after = data(read(file));
    const diff = after.map((l, i) => (l === before[i] ? null : i)).filter((x) => x !== null);
    expect(diff).toEqual([before.findIndex((l) => l.includes('data:SBYe'))]);
    const r = await decryptFile(file, { ...optsFor(key), backend: 'builtin' });
    expect((r.data as { complex: { array: string[] } }).complex.array).toEqual(['one', 'TWO', 'three']);
  });

  it('JSON keeps integer-like key order through an edit', async () => {
    const file = join(tmp, 'order.json');
    writeFileSync(file, await encryptDocument('{"b": 1, "10": "x", "a": 2}', { format: 'json', recipients: [recipient] }));
    await editFile(file, (doc) => doc.set(['10'], 'y'), optsFor(id));
    const r = await decryptFile(file, { ...optsFor(id), backend: 'builtin' });
    expect(r.plaintext.toString()).toBe('{\n\t"b": 1,\n\t"10": "y",\n\t"a": 2\n}\n');
  });

  it('refuses to edit a tampered file and leaves it as it was', async () => {
    const file = join(tmp, 'tampered.yaml');
    copyFileSync(join(FIXTURES, 'derived-negative/swapped-list.enc.yaml'), file);
    const before = read(file);
    const key = readFileSync(join(FIXTURES, 'humphd-sops-age/key.txt'), 'utf8');
    await expect(editFile(file, (doc) => doc.set(['secret'], 'x'), optsFor(key))).rejects.toMatchObject({ code: 'mac-mismatch' });
    expect(read(file)).toBe(before);
  });
});

describe('rotateFile', () => {
  it('re-encrypts every value with a new data key, same plaintext, same recipients', async () => {
    const file = await fresh('rotate.yaml');
    const before = read(file);
    const plainBefore = (await decryptFile(file, { ...optsFor(id), backend: 'builtin' })).plaintext.toString();
    await rotateFile(file, optsFor(id));
    const after = read(file);
    const oldEnc = before.match(ENC)!;
    const newEnc = after.match(ENC)!;
    expect(newEnc.length).toBe(oldEnc.length);
    for (const e of newEnc) expect(oldEnc).not.toContain(e);
    expect(after.match(/recipient: (\S+)/g)).toEqual(before.match(/recipient: (\S+)/g));
    const dataKey = async (s: string) => (await unwrapDataKey(loadEncrypted(Buffer.from(s), 'yaml', file).metadata, [id], file, [])).dataKey;
    expect((await dataKey(after)).equals(await dataKey(before))).toBe(false);
    expect((await decryptFile(file, { ...optsFor(id), backend: 'builtin' })).plaintext.toString()).toBe(plainBefore);
  });

  it('refuses files with master keys it cannot re-wrap (pgp)', async () => {
    const file = join(tmp, 'nix.yaml');
    copyFileSync(join(FIXTURES, 'sops-nix/secrets.yaml'), file);
    const key = readFileSync(join(FIXTURES, 'sops-nix/age-keys.txt'), 'utf8');
    await expect(rotateFile(file, optsFor(key))).rejects.toThrow(/pgp/);
  });
});

describe('updateRecipients', () => {
  it('adds a recipient: it can decrypt; values, MAC and lastmodified are unchanged', async () => {
    const file = await fresh('recipients.yaml');
    const before = read(file);
    const other = await generateX25519Identity();
    const otherRecipient = await identityToRecipient(other);
    expect((await updateRecipients(file, { add: [otherRecipient] }, optsFor(id))).changed).toBe(true);
    const after = read(file);
    expect(after.match(ENC)).toEqual(before.match(ENC));
    expect(after.match(/lastmodified: .*/)![0]).toBe(before.match(/lastmodified: .*/)![0]);
    expect(after).toContain(`- recipient: ${otherRecipient}`);
    const r = await decryptFile(file, { ...optsFor(other), backend: 'builtin' });
    expect((r.data as { db: { password: string } }).db.password).toBe('s3cr3t');
    expect((await updateRecipients(file, { add: [otherRecipient] }, optsFor(id))).changed).toBe(false);
  });

  it('removes a recipient: it can no longer decrypt; the last one cannot be removed', async () => {
    const file = await fresh('remove.yaml');
    const other = await generateX25519Identity();
    await updateRecipients(file, { add: [await identityToRecipient(other)] }, optsFor(id));
    await updateRecipients(file, { remove: [recipient] }, optsFor(other));
    expect(read(file)).not.toContain(recipient);
    await expect(decryptFile(file, { ...optsFor(id), backend: 'builtin' })).rejects.toMatchObject({ code: 'wrong-key' });
    await expect(updateRecipients(file, { remove: [await identityToRecipient(other)] }, optsFor(other))).rejects.toThrow(/without any key/);
  });
});

describe('atomic writes', () => {
  it('a failure before the rename leaves the old file and no temp file', async () => {
    const dir = mkdtempSync(join(tmp, 'atomic-'));
    const file = join(dir, 'secret.yaml');
    writeFileSync(file, 'old content\n');
    let tempSeen = '';
    await expect(
      writeFileAtomic(file, 'new content\n', {
        beforeRename: (t) => {
          tempSeen = t;
          expect(read(t)).toBe('new content\n');
          throw new Error('disk full');
        },
      }),
    ).rejects.toThrow('disk full');
    expect(tempSeen.startsWith(join(dir, '.secret.yaml.'))).toBe(true);
    expect(read(file)).toBe('old content\n');
    expect(readdirSync(dir)).toEqual(['secret.yaml']);
  });

  it('editFile writes only encrypted content to its temp file, and keeps the old file when it fails', async () => {
    const file = await fresh('atomic-edit.yaml');
    const before = read(file);
    await expect(
      editFile(file, (doc) => doc.set(['db', 'password'], 'very-secret-new'), {
        ...optsFor(id),
        writeHooks: {
          beforeRename: (t) => {
            const temp = read(t);
            expect(temp).not.toContain('very-secret-new');
            expect(temp).toContain('sops:');
            throw new Error('crash before rename');
          },
        },
      }),
    ).rejects.toThrow('crash before rename');
    expect(read(file)).toBe(before);
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
