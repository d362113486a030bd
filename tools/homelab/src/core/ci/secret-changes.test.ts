import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diffPaths, secretFileChange, secretsDecrypter } from './secret-changes.ts';
import { editFile, rotateFile } from '../secrets/index.ts';

const fixture = (file: string) => readFileSync(path.resolve(import.meta.dirname, '../../../../../test/fixtures/sops', file), 'utf8');
const SOPS_NIX = fixture('sops-nix/secrets.yaml');

/** Another valid-looking envelope for the value at `key: ENC[…]` (what `sops edit` writes for a new value). */
function reencryptValue(text: string, key: string): string {
  return text.replace(new RegExp(`(\\n\\s*${key}: ENC\\[AES256_GCM,data:)[^,]+`), '$1QUJDRA==');
}

describe('secretFileChange without a key (ciphertexts compared)', () => {
  it('finds nothing when only lastmodified and the MAC changed', async () => {
    const edited = SOPS_NIX.replace(/lastmodified: "[^"]+"/, 'lastmodified: "2030-01-01T00:00:00Z"').replace(
      /mac: ENC\[AES256_GCM,data:[^,]+/,
      'mac: ENC[AES256_GCM,data:AAAA',
    );
    expect(edited).not.toBe(SOPS_NIX);
    expect(await secretFileChange('s.yaml', SOPS_NIX, edited)).toMatchObject({ paths: [], whole: false, decrypted: false });
  });

  it('names exactly the value whose ciphertext changed, nested or not', async () => {
    const change = await secretFileChange('s.yaml', SOPS_NIX, reencryptValue(SOPS_NIX, 'file'));
    expect(change.paths).toEqual([['nested', 'test', 'file']]);
    expect(change.why).toBe('s.yaml: changed nested.test.file (ciphertexts compared)');
  });

  it('counts a list as one value and sees added and removed keys', async () => {
    const edited = SOPS_NIX.replace(/(a_list:\n\s+- )ENC\[AES256_GCM,data:[^,]+/, '$1ENC[AES256_GCM,data:QUJD').replace('test_key:', 'renamed_key:');
    expect((await secretFileChange('s.yaml', SOPS_NIX, edited)).paths).toEqual([['test_key'], ['a_list'], ['renamed_key']]);
  });

  it('counts every value as changed when the key stanzas changed (the data key may be new)', async () => {
    const rotated = SOPS_NIX.replace(/(recipient: age1\w+\n\s+enc: \|\n\s+-----BEGIN AGE ENCRYPTED FILE-----\n\s+)\w/, '$1X');
    expect(rotated).not.toBe(SOPS_NIX);
    const change = await secretFileChange('s.yaml', SOPS_NIX, rotated);
    expect(change.paths).toEqual([['test_key'], ['a_list'], ['nested']]);
    expect(change.why).toMatch(/data key may have changed/);
  });

  it('makes every reader affected when the file appears or disappears', async () => {
    expect(await secretFileChange('s.yaml', undefined, SOPS_NIX)).toMatchObject({ whole: true, why: 's.yaml was added' });
    expect(await secretFileChange('s.yaml', SOPS_NIX, undefined)).toMatchObject({ whole: true, why: 's.yaml was deleted' });
    expect(await secretFileChange('s.yaml', SOPS_NIX, '- not\n- a map\n')).toMatchObject({ whole: true });
  });
});

describe('secretFileChange with the real SOPS layer (repository secrets.yaml, demo key)', () => {
  const workspaceRoot = path.resolve(import.meta.dirname, '../../../../..');
  const dir = mkdtempSync(path.join(tmpdir(), 'homelab-secret-changes-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'secrets.yaml');
  copyFileSync(path.join(workspaceRoot, 'secrets.yaml'), file);
  const original = readFileSync(file, 'utf8');
  const opts = { workspaceRoot, env: {} };

  it('sees one changed key after `edit`, keyless and with the key alike', async () => {
    await editFile(file, (doc) => doc.set(['arr', 'apiKeys', 'radarr'], 'a-new-api-key'), opts);
    const edited = readFileSync(file, 'utf8');
    const decrypt = await secretsDecrypter(workspaceRoot);
    expect(decrypt).toBeDefined();
    expect((await secretFileChange('secrets.yaml', original, edited)).paths).toEqual([['arr', 'apiKeys', 'radarr']]);
    expect(await secretFileChange('secrets.yaml', original, edited, decrypt)).toMatchObject({ paths: [['arr', 'apiKeys', 'radarr']], decrypted: true });
    copyFileSync(path.join(workspaceRoot, 'secrets.yaml'), file);
  });

  it('sees no change after a re-encryption with a new data key only when it can decrypt', async () => {
    await rotateFile(file, opts);
    const rotated = readFileSync(file, 'utf8');
    const keyless = await secretFileChange('secrets.yaml', original, rotated);
    expect(keyless.paths).toEqual([['monitoring'], ['gitops'], ['arr']]);
    expect(await secretFileChange('secrets.yaml', original, rotated, await secretsDecrypter(workspaceRoot))).toMatchObject({ paths: [], decrypted: true });
  });

  it('compares ciphertexts when the key at hand does not open the file (encrypted to other recipients)', async () => {
    const change = await secretFileChange('secrets.yaml', SOPS_NIX, reencryptValue(SOPS_NIX, 'file'), await secretsDecrypter(workspaceRoot));
    expect(change).toMatchObject({ paths: [['nested', 'test', 'file']], decrypted: false });
    expect(change.why).toMatch(/could not be decrypted/);
  });
});

describe('secretFileChange with a decrypter', () => {
  it('falls back to ciphertexts when it cannot decrypt, never repeating what the decrypter said', async () => {
    const decrypt = async () => {
      throw new Error('hunter2 leaked');
    };
    const change = await secretFileChange('s.yaml', SOPS_NIX, reencryptValue(SOPS_NIX, 'file'), decrypt);
    expect(change).toMatchObject({ paths: [['nested', 'test', 'file']], whole: false, decrypted: false });
    expect(change.why).toBe('s.yaml: could not be decrypted (Error), so changed nested.test.file (ciphertexts compared)');
  });
});

describe('diffPaths', () => {
  it('descends maps and treats a type change as a change of that path', () => {
    expect(diffPaths({ a: { b: 1, c: 2 }, d: [1], e: { f: 1 } }, { a: { b: 1, c: 3 }, d: [1], e: 'x' })).toEqual([['a', 'c'], ['e']]);
  });
});
