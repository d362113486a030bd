/**
 * Metadata layouts sops wrote over the years (metadata is not MAC'd, so each layout is derived from a
 * file we encrypt and must still decrypt), and the JSON number typing of sops < 3.13.2.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptFile, encryptDocument } from './backend.ts';
import { encryptBranches, sealMac } from './engine.ts';
import { flattenMetadata, parseMetadata, unflattenMetadata, type SopsMetadata } from './metadata.ts';
import { emitEncrypted, loadEncrypted, loadPlain } from './stores/index.ts';

const tmp = mkdtempSync(join(tmpdir(), 'sops-metadata-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let id: string;
let recipient: string;
beforeAll(async () => {
  id = await generateX25519Identity();
  recipient = await identityToRecipient(id);
});

async function opens(name: string, content: string): Promise<unknown> {
  const file = join(tmp, name);
  writeFileSync(file, content);
  return (await decryptFile(file, { workspaceRoot: tmp, env: { HOME: tmp, SOPS_AGE_KEY: id }, backend: 'builtin' })).data;
}

describe('reading every metadata layout', () => {
  it('3.13: keys sorted at every level (enc before recipient)', async () => {
    const ours = await encryptDocument('a: b\n', { format: 'yaml', recipients: [recipient] });
    const [data, sops] = ours.split('sops:\n');
    const enc = sops.slice(sops.indexOf('enc: |'), sops.indexOf('    lastmodified'));
    const sorted = [
      'sops:',
      '    age:',
      `        - ${enc.trimEnd().replace(/\n {10}/g, '\n          ')}`,
      `          recipient: ${recipient}`,
      sops.match(/^ {4}lastmodified: .*$/m)![0],
      sops.match(/^ {4}mac: .*$/m)![0],
      '    unencrypted_suffix: _unencrypted',
      '    version: 3.13.1',
      '',
    ].join('\n');
    expect(await opens('sorted.yaml', data + sorted)).toEqual({ a: 'b' });
  });

  it('3.7–3.9: empty master-key lists, unquoted fields, upper-case field names (mapstructure)', async () => {
    const ours = await encryptDocument('a: b\n', { format: 'yaml', recipients: [recipient] });
    const old = ours
      .replace('sops:\n', 'sops:\n    kms: []\n    gcp_kms: []\n    azure_kv: []\n    hc_vault: []\n')
      .replace('    unencrypted_suffix', '    pgp: []\n    UNENCRYPTED_SUFFIX');
    expect(await opens('old.yaml', old)).toEqual({ a: 'b' });
  });

  it('JSON with null lists (3.5–3.9)', async () => {
    const ours = await encryptDocument('{"a": "b"}', { format: 'json', recipients: [recipient] });
    const old = ours.replace('"sops": {', '"sops": {\n\t\t"kms": null,\n\t\t"gcp_kms": null,\n\t\t"pgp": null,');
    expect(await opens('old.json', old)).toEqual({ a: 'b' });
  });

  it('key_groups with a string threshold (flattened dotenv stores it as text)', () => {
    const md = parseMetadata(
      {
        shamir_threshold: '2',
        key_groups: [{ age: [{ recipient: 'r1', enc: 'e1' }] }, { age: [{ recipient: 'r2', enc: 'e2' }], pgp: [{ fp: 'F' }] }],
        lastmodified: '2024-01-01T00:00:00Z',
        mac: 'm',
        version: '3.9.0',
      },
      'f',
    );
    expect(md.shamirThreshold).toBe(2);
    expect(md.keyGroups.map((g) => g.age.map((a) => a.recipient))).toEqual([['r1'], ['r2']]);
    expect(md.keyGroups[1].others.pgp).toEqual([{ fp: 'F' }]);
  });

  it('flattening round-trips (dotenv/INI) and is sorted', () => {
    const md: SopsMetadata = {
      keyGroups: [
        { age: [{ recipient: 'r1', enc: 'line1\nline2\n' }], others: {} },
        { age: [{ recipient: 'r2', enc: 'x' }], others: {} },
      ],
      shamirThreshold: 2,
      lastModified: '2024-01-01T00:00:00Z',
      mac: 'ENC[x]',
      rule: { kind: 'encrypted_regex', value: '^data$' },
      macOnlyEncrypted: true,
      version: '3.9.0',
    };
    const flat = flattenMetadata(md);
    expect(flat.map(([k]) => k)).toEqual([...flat.map(([k]) => k)].sort());
    expect(flat).toContainEqual(['key_groups__list_0__map_age__list_0__map_enc', 'line1\\nline2\\n']);
    expect(flat).toContainEqual(['mac_only_encrypted', 'true']);
    expect(flat).toContainEqual(['shamir_threshold', '2']);
    const back = parseMetadata(unflattenMetadata(Object.fromEntries(flat)), 'f');
    expect(back).toEqual(md);
  });

  it('refuses more than one encryption rule, and metadata without lastmodified or keys', () => {
    const base = { age: [{ recipient: 'r', enc: 'e' }], lastmodified: '2024-01-01T00:00:00Z', mac: 'm', version: '3.9.0' };
    expect(() => parseMetadata({ ...base, encrypted_regex: 'a', unencrypted_suffix: 'b' }, 'f')).toThrow(/more than one encryption rule/);
    expect(() => parseMetadata({ ...base, lastmodified: 'yesterday' }, 'f')).toThrow(/lastmodified/);
    expect(() => parseMetadata({ lastmodified: '2024-01-01T00:00:00Z', mac: 'm' }, 'f')).toThrow(/no master keys/);
  });
});

describe('JSON numbers and the sops version that wrote the file', () => {
  /** A JSON file as a given sops version would write it, with a clear-text number. */
  async function written(version: string, floatInts: boolean, lexeme: string): Promise<string> {
    const template = await encryptDocument(`{"s": "x", "n_unencrypted": ${lexeme}}`, { format: 'json', recipients: [recipient] });
    const doc = loadEncrypted(Buffer.from(template), 'json', 't');
    const { unwrapDataKey } = await import('./age.ts');
    const { dataKey } = await unwrapDataKey(doc.metadata, [id], 't', []);
    const plain = loadPlain(Buffer.from(`{"s": "x", "n_unencrypted": ${lexeme}}`), 'json', 't');
    const enc = encryptBranches(plain, dataKey, doc.metadata.rule, false, 't', undefined, floatInts);
    const metadata = { ...doc.metadata, version, mac: sealMac(enc.macHex, dataKey, doc.metadata.lastModified) };
    return emitEncrypted({ ...doc, branches: enc.branches, metadata }, 't');
  }

  it('sops < 3.13.2 hashed clear-text ints as float64 (2^53 + 1 rounds)', async () => {
    const old = await written('3.9.2', true, '9007199254740993');
    expect(await opens('old-number.json', old)).toEqual({ s: 'x', n_unencrypted: 9007199254740993n });
  });

  it('a file recorded as 3.13.2 must have hashed them as ints', async () => {
    const mixed = await written('3.13.2', true, '9007199254740993');
    await expect(opens('mixed-number.json', mixed)).rejects.toMatchObject({ code: 'mac-mismatch' });
    const exact = await written('3.13.2', false, '9007199254740993');
    expect(await opens('new-number.json', exact)).toEqual({ s: 'x', n_unencrypted: 9007199254740993n });
  });

  it('we record 3.13.2 when a JSON int beyond 2^53 needs it, and read our own file back', async () => {
    const out = await encryptDocument('{"n_unencrypted": 9007199254740993}', { format: 'json', recipients: [recipient] });
    expect(out).toContain('"version": "3.13.2"');
    expect(await opens('ours-number.json', out)).toEqual({ n_unencrypted: 9007199254740993n });
  });
});
