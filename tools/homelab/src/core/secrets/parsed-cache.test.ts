import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decryptFile, encryptDocument } from './backend.ts';
import { formatFromPath } from './format.ts';
import { loadEncryptedCached } from './parsed-cache.ts';
import { otherKeyCount } from './metadata.ts';
import { loadEncrypted } from './stores/index.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../../../../../test/fixtures/sops');
const REPO = path.resolve(import.meta.dirname, '../../../../..');
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** An empty workspace: with node_modules (where the cache lives) unless told otherwise. */
function workspace(withNodeModules = true): string {
  const root = mkdtempSync(path.join(tmpdir(), 'sops-parsed-'));
  dirs.push(root);
  if (withNodeModules) mkdirSync(path.join(root, 'node_modules'));
  return root;
}

const entries = (root: string) => {
  const dir = path.join(root, 'node_modules', '.cache', 'homelab', 'sops');
  return existsSync(dir) ? readdirSync(dir).map((f) => path.join(dir, f)) : [];
};

// Every real sops file of the fixtures, whatever the store.
const files = (readdirSync(FIXTURES, { recursive: true, encoding: 'utf8' }) as string[])
  .filter((f) => f.endsWith('.expected.json'))
  .map((f) => f.slice(0, -'.expected.json'.length))
  .sort();

describe('parsed encrypted documents, cached', () => {
  it.each(files)('%s: the cached document is the parsed one, class for class', (file) => {
    const root = workspace();
    const bytes = readFileSync(path.join(FIXTURES, file));
    const expected = JSON.parse(readFileSync(path.join(FIXTURES, `${file}.expected.json`), 'utf8')) as { format: string };
    const format = expected.format === 'dotenv' ? 'dotenv' : formatFromPath(file);
    const parsed = loadEncrypted(bytes, format, file);
    expect(loadEncryptedCached(bytes, format, file, root)).toStrictEqual(parsed);
    // Written unless JSON cannot give it back: master keys of other kinds (PGP here) are kept as parsed.
    const ageOnly = parsed.metadata.keyGroups.every((group) => otherKeyCount(group) === 0);
    expect(entries(root)).toHaveLength(ageOnly ? 1 : 0);
    expect(loadEncryptedCached(bytes, format, file, root)).toStrictEqual(parsed);
  });

  it('gives back comments, lists and the typed values left unencrypted (int, float, time, bool, null)', async () => {
    const recipient = /public key: (age1\w+)/.exec(readFileSync(path.join(REPO, 'demo-age-key.txt'), 'utf8'))![1];
    const plaintext = [
      '# a comment on top',
      'db:',
      '    password: hunter22 # inline',
      '    port_unencrypted: 5432',
      '    ratio_unencrypted: 1.5',
      '    since_unencrypted: 2024-01-01T00:00:00Z',
      '    on_unencrypted: true',
      '    none_unencrypted: null',
      '    hosts:',
      '        # listed',
      '        - a',
      '        - b',
      '',
    ].join('\n');
    const encrypted = Buffer.from(await encryptDocument(plaintext, { format: 'yaml', recipients: [recipient] }));
    const parsed = loadEncrypted(encrypted, 'yaml', 'typed.yaml');
    const root = workspace();
    loadEncryptedCached(encrypted, 'yaml', 'typed.yaml', root);
    expect(entries(root)).toHaveLength(1);
    expect(loadEncryptedCached(encrypted, 'yaml', 'typed.yaml', root)).toStrictEqual(parsed);
  });

  it('decrypts the same through the cache, and the entry holds none of the decrypted values', async () => {
    const root = workspace();
    cpSync(path.join(REPO, 'secrets.yaml'), path.join(root, 'secrets.yaml'));
    cpSync(path.join(REPO, 'demo-age-key.txt'), path.join(root, 'demo-age-key.txt'));
    const decrypt = () => decryptFile(path.join(root, 'secrets.yaml'), { workspaceRoot: root, env: {}, backend: 'builtin' });
    const first = await decrypt();
    const [entry] = entries(root);
    const second = await decrypt();
    expect(second.plaintext.equals(first.plaintext)).toBe(true);
    expect(second.leaves).toEqual(first.leaves);
    const stored = readFileSync(entry, 'utf8');
    const secrets = first.leaves.filter((leaf) => leaf.length >= 6);
    expect(secrets.length).toBeGreaterThan(5);
    for (const leaf of secrets) expect(stored).not.toContain(JSON.stringify(leaf).slice(1, -1));
  });

  it('parses again when an entry is damaged, and caches nothing without node_modules', () => {
    const bytes = readFileSync(path.join(REPO, 'secrets.yaml'));
    const parsed = loadEncrypted(bytes, 'yaml', 'secrets.yaml');
    const root = workspace();
    loadEncryptedCached(bytes, 'yaml', 'secrets.yaml', root);
    const [entry] = entries(root);
    writeFileSync(entry, '{"format": "yaml", "branches": [');
    expect(loadEncryptedCached(bytes, 'yaml', 'secrets.yaml', root)).toStrictEqual(parsed);
    // Valid JSON for these bytes, but not a document this code wrote.
    const stored = JSON.parse(readFileSync(entry, 'utf8')) as { key: string };
    writeFileSync(entry, JSON.stringify({ key: stored.key, branches: 'not a list' }));
    expect(loadEncryptedCached(bytes, 'yaml', 'secrets.yaml', root)).toStrictEqual(parsed);
    // An edited file replaces its entry: one per file, whatever the number of edits.
    const edited = Buffer.from(bytes.toString('utf8').replace('monitoring:', 'monitorinx:'));
    expect(loadEncryptedCached(edited, 'yaml', 'secrets.yaml', root)).toStrictEqual(loadEncrypted(edited, 'yaml', 'secrets.yaml'));
    expect(entries(root)).toEqual([entry]);
    expect(loadEncryptedCached(bytes, 'yaml', 'secrets.yaml', root)).toStrictEqual(parsed);

    const bare = workspace(false);
    expect(loadEncryptedCached(bytes, 'yaml', 'secrets.yaml', bare)).toStrictEqual(parsed);
    expect(readdirSync(bare)).toEqual([]);
  });
});
