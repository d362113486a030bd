/**
 * Refusals: tampered files (MAC), wrong and missing keys, plain files, bad formats and syntax. Every
 * error is one line, names the file, carries a hint, and never quotes a decrypted value.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decryptFile } from './backend.ts';
import { SopsError } from './errors.ts';
import { parseFormat } from './format.ts';
import { rmSync } from 'node:fs';

const FIXTURES = resolve(import.meta.dirname, '../../../../../test/fixtures/sops');
const HUMPHD_KEY = join(FIXTURES, 'humphd-sops-age/key.txt');
const OTHER_ID = readFileSync(join(FIXTURES, 'getsops-sops-age-vectors/other-identity.txt'), 'utf8').trim();
const tmp = mkdtempSync(join(tmpdir(), 'sops-negative-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Plaintext values of the humphd fixture: none may appear in any error message. */
const SECRETS = ['this is a secret', 'gotta match go', 'three'];

async function failure(file: string, env: NodeJS.ProcessEnv, workspaceRoot = '/nonexistent'): Promise<SopsError> {
  try {
    await decryptFile(file, { workspaceRoot, env: { HOME: '/nonexistent', ...env }, backend: 'builtin' });
  } catch (err) {
    expect(err).toBeInstanceOf(SopsError);
    const e = err as SopsError;
    expect(e.line()).not.toContain('\n');
    expect(e.hint).not.toBe('');
    for (const s of SECRETS) expect(e.line()).not.toContain(s);
    return e;
  }
  throw new Error(`${file} decrypted although it should not`);
}

function variant(name: string, from: string, edit: (s: string) => string): string {
  const path = join(tmp, name);
  writeFileSync(path, edit(readFileSync(join(FIXTURES, from), 'utf8')));
  return path;
}

describe('tampering is refused (MAC)', () => {
  it.each(['swapped-list.enc.yaml', 'dropped-key.enc.yaml'])('derived-negative/%s', async (name) => {
    const e = await failure(join(FIXTURES, 'derived-negative', name), { SOPS_AGE_KEY_FILE: HUMPHD_KEY });
    expect(e.code).toBe('mac-mismatch');
    expect(e.message).toContain(name);
    expect(e.message).toMatch(/tampered|corrupted/);
  });

  it('a cleartext value changed (sops MACs cleartext values too)', async () => {
    const file = variant('cleartext.enc.json', 'humphd-sops-age/secret.enc.json', (s) =>
      s.replace('"secret": "ENC', '"added_unencrypted": "x",\n  "secret": "ENC'),
    );
    expect((await failure(file, { SOPS_AGE_KEY_FILE: HUMPHD_KEY })).code).toBe('mac-mismatch');
  });

  it('a ciphertext bit flipped', async () => {
    const file = variant('flip.enc.yaml', 'humphd-sops-age/secret.enc.yaml', (s) => s.replace('data:ME9a8', 'data:ME9a9'));
    const e = await failure(file, { SOPS_AGE_KEY_FILE: HUMPHD_KEY });
    expect(e.code).toBe('mac-mismatch');
    expect(e.message).toContain('secret');
  });

  it('a value moved to another key (AAD)', async () => {
    const file = variant('moved.enc.yaml', 'humphd-sops-age/secret.enc.yaml', (s) => {
      const lines = s.split('\n');
      const [a, b] = [lines[0].split(': ')[1], lines[1].split(': ')[1]];
      lines[0] = `secret: ${b}`;
      lines[1] = `string: ${a}`;
      return lines.join('\n');
    });
    expect((await failure(file, { SOPS_AGE_KEY_FILE: HUMPHD_KEY })).code).toBe('mac-mismatch');
  });

  it('an encrypted value replaced by clear text', async () => {
    const file = variant('plainvalue.enc.yaml', 'humphd-sops-age/secret.enc.yaml', (s) => s.replace(/^int: .*$/m, 'int: 8'));
    expect((await failure(file, { SOPS_AGE_KEY_FILE: HUMPHD_KEY })).code).toBe('mac-mismatch');
  });

  it('the MAC removed', async () => {
    const file = variant('nomac.enc.yaml', 'humphd-sops-age/secret.enc.yaml', (s) => s.replace(/^ {2}mac: .*\n/m, ''));
    const e = await failure(file, { SOPS_AGE_KEY_FILE: HUMPHD_KEY });
    expect(e.code).toBe('mac-mismatch');
    expect(e.message).toContain('no MAC');
  });

  it('lastmodified changed (the MAC is sealed with it)', async () => {
    const file = variant('lastmod.enc.yaml', 'humphd-sops-age/secret.enc.yaml', (s) => s.replace('2024-03-25T22:08:10Z', '2024-03-25T22:08:11Z'));
    const e = await failure(file, { SOPS_AGE_KEY_FILE: HUMPHD_KEY });
    expect(e.code).toBe('mac-mismatch');
    expect(e.message).toContain('cannot be decrypted');
  });
});

describe('keys', () => {
  it('a wrong key names the recipients the file expects', async () => {
    const e = await failure(join(FIXTURES, 'humphd-sops-age/secret.enc.yaml'), { SOPS_AGE_KEY: OTHER_ID });
    expect(e.code).toBe('wrong-key');
    for (const r of [
      'age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr',
      'age19j4d6v9j7rx5fs629fu387qz4zmlpsqjexa4s08tkfrrmfdl5cwqjlaupd',
      'age13runq29jhy9kfpaegczrzttykerswh0qprq59msgd754yermtfmsa3hwg2',
    ]) {
      expect(e.message).toContain(r);
    }
    expect(e.message).toContain('SOPS_AGE_KEY');
    expect(e.message).not.toContain(OTHER_ID);
  });

  it('no key anywhere says where it looked', async () => {
    const e = await failure(join(FIXTURES, 'sops-nix/secrets.yaml'), { XDG_CONFIG_HOME: join(tmp, 'no-config') }, join(tmp, 'no-workspace'));
    expect(e.code).toBe('no-key');
    expect(e.message).toContain('no age key found (looked in ');
    expect(e.message).toContain(join(tmp, 'no-config', 'sops', 'age', 'keys.txt'));
    expect(e.message).toContain(join(tmp, 'no-workspace', 'demo-age-key.txt'));
  });

  it('a pgp-only file cannot be opened with age keys and says so', async () => {
    const e = await failure(join(FIXTURES, 'getsops-sops-pgp-supplementary/example.yaml'), { SOPS_AGE_KEY: OTHER_ID });
    expect(e.code).toBe('wrong-key');
    expect(e.message).toContain('no age recipient');
  });
});

describe('not encrypted, unknown format, malformed', () => {
  it.each([
    ['plain.yaml', 'password: hunter2\n'],
    ['plain.json', '{"password": "hunter2"}\n'],
    ['plain.env', 'PASSWORD=hunter2\n'],
    ['plain.ini', '[db]\npassword = hunter2\n'],
    ['plain.bin', 'hunter2\n'],
  ])('%s is refused, not passed through', async (name, content) => {
    const file = join(tmp, name);
    writeFileSync(file, content);
    const e = await failure(file, { SOPS_AGE_KEY_FILE: HUMPHD_KEY });
    expect(e.code).toBe('not-encrypted');
    expect(e.message).toContain(file);
    expect(e.message).not.toContain('hunter2');
  });

  it('an unknown format name', () => {
    expect(() => parseFormat('toml')).toThrow(SopsError);
    try {
      parseFormat('toml');
    } catch (err) {
      expect((err as SopsError).code).toBe('unknown-format');
      expect((err as SopsError).hint).toContain('yaml');
    }
  });

  it.each([
    ['bad.yaml', 'a: [unclosed\nb: "hunter2"\n', /line \d+, column \d+/],
    ['dup.yaml', 'a: hunter2\na: again\n', /duplicate key/],
    ['list.yaml', '- hunter2\n', /top level must be a mapping/],
    ['intkey.yaml', '1: hunter2\nsops: {}\n', /non-string key/],
    ['bad.json', '{"a": "hunter2",}', /line 1, column \d+/],
    ['array.json', '["hunter2"]', /top level must be an object/],
  ])('%s is malformed (position, no content)', async (name, content, detail) => {
    const file = join(tmp, name);
    writeFileSync(file, content);
    const e = await failure(file, {});
    expect(e.code).toBe('malformed');
    expect(e.message).toMatch(detail);
    expect(e.message).not.toContain('hunter2');
  });

  it('a missing file', async () => {
    await expect(decryptFile(join(tmp, 'absent.yaml'), { workspaceRoot: tmp, backend: 'builtin' })).rejects.toThrow(/cannot read the file/);
  });
});
