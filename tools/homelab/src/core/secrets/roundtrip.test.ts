/**
 * encrypt → decrypt round trips for every type, format and rule, checked against Go/yaml.v3 facts
 * (type tags, the exact bytes sops encrypts, the text `sops decrypt` prints), plus Shamir and hybrid keys.
 */
import { createDecipheriv } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateHybridIdentity, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrapDataKey } from './age.ts';
import { decryptFile, encryptDocument } from './backend.ts';
import { parseEnvelope } from './cipher.ts';
import { SopsError } from './errors.ts';
import type { SopsFormat } from './format.ts';
import type { EncryptionRule } from './metadata.ts';
import { loadEncrypted } from './stores/index.ts';

const tmp = mkdtempSync(join(tmpdir(), 'sops-roundtrip-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let id: string;
let recipient: string;
beforeAll(async () => {
  id = await generateX25519Identity();
  recipient = await identityToRecipient(id);
});

let counter = 0;
async function roundTrip(plaintext: string | Uint8Array, format: SopsFormat, extra: { rule?: EncryptionRule; macOnlyEncrypted?: boolean } = {}) {
  const encrypted = await encryptDocument(plaintext, { format, recipients: [recipient], ...extra });
  const ext = { yaml: 'yaml', json: 'json', dotenv: 'env', ini: 'ini', binary: 'bin' }[format];
  const file = join(tmp, `doc${counter++}.${ext}`);
  writeFileSync(file, encrypted);
  const decrypted = await decryptFile(file, { workspaceRoot: tmp, env: { HOME: tmp, SOPS_AGE_KEY: id }, backend: 'builtin' });
  return { encrypted, decrypted, file };
}

/** The `type:` tag and the exact plaintext bytes sops would have encrypted for `key` (top-level YAML/JSON). */
async function envelopeOf(encrypted: string, format: SopsFormat, path: string[]): Promise<{ type: string; bytes: string }> {
  const doc = loadEncrypted(Buffer.from(encrypted), format, 'test');
  const { dataKey } = await unwrapDataKey(doc.metadata, [id], 'test', ['test']);
  let v: unknown = doc.branches[0];
  for (const k of path) v = (v as { get(k: string): unknown }).get(k);
  const env = parseEnvelope(v as string)!;
  const d = createDecipheriv('aes-256-gcm', dataKey, env.iv);
  d.setAAD(Buffer.from(`${path.join(':')}:`));
  d.setAuthTag(env.tag);
  return { type: env.type, bytes: Buffer.concat([d.update(env.data), d.final()]).toString('utf8') };
}

describe('YAML scalar typing (yaml.v3) and Go value bytes', () => {
  const cases: [string, string, string, string][] = [
    // yaml text, expected type tag, expected encrypted bytes (Go formatting), what sops decrypt prints
    ['hello', 'str', 'hello', 'hello'],
    ['"123"', 'str', '123', '"123"'],
    ['yes', 'str', 'yes', '"yes"'],
    ['on', 'str', 'on', '"on"'],
    ['42', 'int', '42', '42'],
    ['-0', 'int', '0', '0'],
    ['+5', 'int', '5', '5'],
    ['0777', 'int', '511', '511'],
    ['0o17', 'int', '15', '15'],
    ['0x1F', 'int', '31', '31'],
    ['0b101', 'int', '5', '5'],
    ['1_000', 'int', '1000', '1000'],
    ['9223372036854775807', 'int', '9223372036854775807', '9223372036854775807'],
    ['08', 'float', '8', '8'],
    ['3.14', 'float', '3.14', '3.14'],
    ['1.0', 'float', '1', '1'],
    ['1e3', 'float', '1000', '1000'],
    ['1234567.0', 'float', '1234567', '1.234567e+06'],
    ['1e21', 'float', '1000000000000000000000', '1e+21'],
    ['5e-7', 'float', '0.0000005', '5e-07'],
    ['0.0001', 'float', '0.0001', '0.0001'],
    ['-2.5e-5', 'float', '-0.000025', '-2.5e-05'],
    ['1.5e300', 'float', `15${'0'.repeat(299)}`, '1.5e+300'],
    ['.5', 'float', '0.5', '0.5'],
    ['.inf', 'float', '+Inf', '.inf'],
    ['-.Inf', 'float', '-Inf', '-.inf'],
    ['.nan', 'float', 'NaN', '.nan'],
    ['true', 'bool', 'True', 'true'],
    ['FALSE', 'bool', 'False', 'false'],
    ['2024-01-01', 'time', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z'],
    ['2006-01-02T15:04:05+07:00', 'time', '2006-01-02T15:04:05+07:00', '2006-01-02T15:04:05+07:00'],
    ['2001-12-14 21:59:43.10', 'time', '2001-12-14T21:59:43.1Z', '2001-12-14T21:59:43.1Z'],
    ['2024-1-2T3:4:5Z', 'time', '2024-01-02T03:04:05Z', '2024-01-02T03:04:05Z'],
    ['2024-02-30', 'str', '2024-02-30', '2024-02-30'],
    ['"2024-01-01"', 'str', '2024-01-01', '"2024-01-01"'],
    ['12:30:45', 'str', '12:30:45', '"12:30:45"'],
    ["'- dash'", 'str', '- dash', "'- dash'"],
    ['"a: b"', 'str', 'a: b', "'a: b'"],
    ['"tab\\there"', 'str', 'tab\there', '"tab\\there"'],
    ['"trailing "', 'str', 'trailing ', "'trailing '"],
    ['"ünïcödé"', 'str', 'ünïcödé', 'ünïcödé'],
    ['"emoji 😀"', 'str', 'emoji 😀', '"emoji \\U0001F600"'],
    ['"<<"', 'str', '<<', '"<<"'],
  ];

  it.each(cases)('v: %s → type:%s, bytes %s, printed %s', async (yamlValue, type, bytes, printed) => {
    const { encrypted, decrypted } = await roundTrip(`v: ${yamlValue}\n`, 'yaml');
    expect(await envelopeOf(encrypted, 'yaml', ['v'])).toEqual({ type, bytes });
    expect(decrypted.plaintext.toString()).toBe(`v: ${printed}\n`);
  });

  it('refuses integers beyond int64 that yaml.v3 reads as uint64', async () => {
    await expect(encryptDocument('v: 18446744073709551615\n', { format: 'yaml', recipients: [recipient] })).rejects.toThrow(/int64/);
  });
});

describe('YAML documents', () => {
  it('keeps comments (encrypted), lists, nested maps, nulls and empty strings', async () => {
    const plain = [
      '# top comment',
      'app:',
      '    # head of user',
      '    user: admin # inline about user',
      '    password: s3cr3t',
      '    # trailing in app',
      'list:',
      '    # before first',
      '    - one',
      '    - two # inline two',
      '    # after items',
      'maps:',
      '    - name: a',
      '      value: 1',
      '    - name: b',
      '      value: [x, {deep: true}]',
      'nothing: null',
      'tilde: ~',
      'blank:',
      'empty: ""',
      'multi: |',
      '    line 1',
      '    line 2',
      'keep_unencrypted: visible',
      '',
    ].join('\n');
    const { encrypted, decrypted } = await roundTrip(plain, 'yaml');
    // Ciphertext and the sops metadata are random base64, which holds any short word now and then: look only at
    // what stays readable.
    const readable = encrypted.slice(0, encrypted.search(/^sops:$/m)).replace(/ENC\[[^\]]*\]/g, 'ENC[]');
    for (const secret of ['admin', 's3cr3t', 'one', 'two', 'line 1', 'head of user', 'inline about user', 'trailing in app']) {
      expect(readable).not.toContain(secret);
    }
    expect(encrypted).toContain('keep_unencrypted: visible');
    expect(encrypted).toMatch(/^ {4}#ENC\[AES256_GCM,.*type:comment\]$/m);
    expect(encrypted).toContain('empty: ""');
    expect(encrypted).toContain('nothing: null');
    // sops output: blank lines dropped, `blank:` becomes `null`, flow lists become block lists.
    expect(decrypted.plaintext.toString()).toBe(
      [
        '# top comment',
        'app:',
        '    # head of user',
        '    user: admin # inline about user',
        '    password: s3cr3t',
        '    # trailing in app',
        'list:',
        '    # before first',
        '    - one',
        '    - two # inline two',
        '    # after items',
        'maps:',
        '    - name: a',
        '      value: 1',
        '    - name: b',
        '      value:',
        '        - x',
        '        - deep: true',
        'nothing: null',
        'tilde: null',
        'blank: null',
        'empty: ""',
        'multi: |',
        '    line 1',
        '    line 2',
        'keep_unencrypted: visible',
        '',
      ].join('\n'),
    );
    expect(decrypted.data).toEqual({
      app: { user: 'admin', password: 's3cr3t' },
      list: ['one', 'two'],
      maps: [
        { name: 'a', value: 1 },
        { name: 'b', value: ['x', { deep: true }] },
      ],
      nothing: null,
      tilde: null,
      blank: null,
      empty: '',
      multi: 'line 1\nline 2\n',
      keep_unencrypted: 'visible',
    });
    expect(decrypted.leaves).toEqual(['admin', 's3cr3t', 'one', 'two', 'a', '1', 'b', 'x', 'true', 'line 1\nline 2\n']);
  });

  it('multi-document files: one sops block per document, one MAC over all', async () => {
    const { encrypted, decrypted, file } = await roundTrip('a: 1\n---\nb: two\n---\nc: [3]\n', 'yaml');
    expect(encrypted.match(/^sops:$/gm)).toHaveLength(3);
    expect(encrypted.split('\n---\n')).toHaveLength(3);
    expect(decrypted.documents).toEqual([{ a: 1 }, { b: 'two' }, { c: [3] }]);
    expect(decrypted.data).toEqual({ a: 1 });
    expect(decrypted.plaintext.toString()).toBe('a: 1\n---\nb: two\n---\nc:\n    - 3\n');
    // Swapping two documents' values is caught by the single MAC.
    const lines = encrypted.split('\n');
    const ia = lines.findIndex((l) => l.startsWith('a: '));
    const ib = lines.findIndex((l) => l.startsWith('b: '));
    const swapped = [...lines];
    swapped[ia] = `a: ${lines[ib].slice(3)}`;
    swapped[ib] = `b: ${lines[ia].slice(3)}`;
    writeFileSync(file, swapped.join('\n'));
    await expect(decryptFile(file, { workspaceRoot: tmp, env: { HOME: tmp, SOPS_AGE_KEY: id }, backend: 'builtin' })).rejects.toMatchObject({
      code: 'mac-mismatch',
    });
  });

  it('writes the sops 3.9–3.12 metadata layout with indent 4 (or as configured)', async () => {
    const now = new Date('2025-01-02T03:04:05.678Z');
    const out = await encryptDocument('a: b\n', { format: 'yaml', recipients: [recipient], now });
    const sops = out.slice(out.indexOf('sops:\n'));
    const keys = sops
      .split('\n')
      .filter((l) => /^ {4}\S/.test(l) || /^ {8}- /.test(l) || /^ {10}\S/.test(l))
      .map((l) => l.trim().split(':')[0]);
    expect(keys).toEqual(['age', '- recipient', 'enc', 'lastmodified', 'mac', 'unencrypted_suffix', 'version']);
    expect(sops).toContain(`        - recipient: ${recipient}\n          enc: |\n            -----BEGIN AGE ENCRYPTED FILE-----\n`);
    expect(sops).toContain('    lastmodified: "2025-01-02T03:04:05Z"\n');
    expect(sops).toMatch(/ {4}version: 3\.9\.0\n$/);
    const two = await encryptDocument('a:\n  b: c\n', { format: 'yaml', recipients: [recipient], indent: 2 });
    expect(two).toMatch(/^a:\n {2}b: ENC/);
    expect(two).toContain('\n  age:\n    - recipient: ');
  });

  it('refuses to encrypt a file that is already encrypted', async () => {
    const once = await encryptDocument('a: b\n', { format: 'yaml', recipients: [recipient] });
    await expect(encryptDocument(once, { format: 'yaml', recipients: [recipient] })).rejects.toThrow(/already SOPS-encrypted/);
  });
});

describe('JSON, dotenv, INI and binary', () => {
  it('JSON keeps key order (integer-like keys too), ints vs floats, Go escaping', async () => {
    const plain =
      '{"10": "ten", "2": "two", "a": {"int": 7, "float": 7.5, "exp": 1e21, "neg": -0.0}, "list": [1, "x", null, true], "html": "<&>", "e": "", "k_unencrypted": "<b>"}';
    const { encrypted, decrypted } = await roundTrip(plain, 'json');
    expect(encrypted.match(/^\t"[^"]+"/gm)).toEqual(['\t"10"', '\t"2"', '\t"a"', '\t"list"', '\t"html"', '\t"e"', '\t"k_unencrypted"', '\t"sops"']);
    expect(await envelopeOf(encrypted, 'json', ['a', 'int'])).toEqual({ type: 'int', bytes: '7' });
    expect(await envelopeOf(encrypted, 'json', ['a', 'float'])).toEqual({ type: 'float', bytes: '7.5' });
    expect(await envelopeOf(encrypted, 'json', ['a', 'exp'])).toEqual({ type: 'float', bytes: '1000000000000000000000' });
    expect(await envelopeOf(encrypted, 'json', ['a', 'neg'])).toEqual({ type: 'float', bytes: '-0' });
    expect(encrypted).toMatch(/^\t"k_unencrypted": "\\u003cb\\u003e",$/m);
    expect(encrypted.endsWith('}\n')).toBe(true);
    expect(decrypted.plaintext.toString()).toBe(
      '{\n\t"10": "ten",\n\t"2": "two",\n\t"a": {\n\t\t"int": 7,\n\t\t"float": 7.5,\n\t\t"exp": 1e+21,\n\t\t"neg": -0\n\t},\n\t"list": [\n\t\t1,\n\t\t"x",\n\t\tnull,\n\t\ttrue\n\t],\n\t"html": "\\u003c\\u0026\\u003e",\n\t"e": "",\n\t"k_unencrypted": "\\u003cb\\u003e"\n}\n',
    );
  });

  it('dotenv keeps keys verbatim (spaces), values with = and newlines, comments', async () => {
    const plain = '# a comment\nKEY=value=with=equals\nspaced key = spaced value\nMULTI=line1\\nline2\nEMPTY=\n';
    const { encrypted, decrypted } = await roundTrip(plain, 'dotenv');
    expect(encrypted).toMatch(/^#ENC\[AES256_GCM,.*type:comment\]$/m);
    expect(encrypted).toMatch(/^spaced key =ENC\[/m);
    expect(encrypted).toMatch(/^sops_age__list_0__map_enc=-----BEGIN AGE ENCRYPTED FILE-----\\n/m);
    expect(encrypted).toMatch(/^sops_version=3\.9\.0$/m);
    expect(decrypted.plaintext.toString()).toBe(plain);
    expect(decrypted.data).toEqual({ KEY: 'value=with=equals', 'spaced key ': ' spaced value', MULTI: 'line1\nline2', EMPTY: '' });
  });

  it('INI sections, comments, values needing quotes', async () => {
    const plain = '; about db\n[db]\nuser = admin ; inline comments are stripped (ini.v1)\npassword = `p#ss;word`\n\n[plain]\nnote_unencrypted = hello\n';
    const { encrypted, decrypted } = await roundTrip(plain, 'ini');
    expect(encrypted).toMatch(/^; ENC\[AES256_GCM,.*type:comment\]\n\[db\]$/m);
    expect(encrypted).toContain('note_unencrypted = hello');
    expect(encrypted).toMatch(/^\[sops\]\nage__list_0__map_enc {7}= -----BEGIN AGE ENCRYPTED FILE-----\\n/m);
    expect(decrypted.data).toEqual({ db: { user: 'admin', password: 'p#ss;word' }, plain: { note_unencrypted: 'hello' } });
    expect(decrypted.plaintext.toString()).toBe(
      '; about db\n[db]\n; inline comments are stripped (ini.v1)\nuser     = admin\npassword = `p#ss;word`\n\n[plain]\nnote_unencrypted = hello\n',
    );
  });

  it('binary: arbitrary bytes come back exactly', async () => {
    const bytes = new Uint8Array([0, 1, 2, 0xff, 0xfe, 10, 13, 0x80, 65]);
    const { encrypted, decrypted } = await roundTrip(bytes, 'binary');
    const env = JSON.parse(encrypted);
    expect(Object.keys(env)).toEqual(['data', 'sops']);
    expect(env.data).toMatch(/type:str\]$/);
    expect([...decrypted.plaintext]).toEqual([...bytes]);
  });
});

describe('encryption rules', () => {
  const doc = [
    'apiVersion: v1',
    'kind: Secret',
    'metadata:',
    '    name: db',
    'stringData:',
    '    password: s3cr3t',
    'data:',
    '    token: dG9r',
    'password_plain: open',
    '',
  ].join('\n');

  it.each([
    [{ kind: 'encrypted_regex', value: '^(data|stringData)$' }, ['stringData:password', 'data:token']],
    [{ kind: 'unencrypted_regex', value: '^(apiVersion|kind|metadata)$' }, ['stringData:password', 'data:token', 'password_plain']],
    [{ kind: 'encrypted_suffix', value: 'Data' }, ['stringData:password']],
    [{ kind: 'unencrypted_suffix', value: '_plain' }, ['apiVersion', 'kind', 'metadata:name', 'stringData:password', 'data:token']],
  ] as [EncryptionRule, string[]][])('%o encrypts exactly %o', async (rule, expected) => {
    const { encrypted, decrypted } = await roundTrip(doc, 'yaml', { rule });
    const parsed = loadEncrypted(Buffer.from(encrypted), 'yaml', 'x');
    const enc: string[] = [];
    const walk = (v: unknown, path: string[]) => {
      if (typeof v === 'string' && v.startsWith('ENC[')) enc.push(path.join(':'));
      const b = v as { entries?: () => { key: string; value: unknown }[] };
      if (b && typeof b.entries === 'function') for (const e of b.entries()) walk(e.value, [...path, e.key]);
    };
    walk(parsed.branches[0], []);
    expect(enc).toEqual(expected);
    expect(encrypted).toContain(`    ${rule.kind}: ${rule.value.includes('|') ? `^(${rule.value.slice(2, -2)})$` : rule.value}\n`);
    expect(decrypted.plaintext.toString()).toBe(doc);
  });

  it('encrypted_comment_regex encrypts what follows a marker comment, not the marker', async () => {
    const plain = 'plain: a\n# sops:enc\nsecret: b\nalso_plain: c\n';
    const { encrypted, decrypted } = await roundTrip(plain, 'yaml', { rule: { kind: 'encrypted_comment_regex', value: 'sops:enc' } });
    expect(encrypted).toMatch(/^plain: a$/m);
    expect(encrypted).toMatch(/^# sops:enc$/m);
    expect(encrypted).toMatch(/^secret: ENC\[/m);
    expect(encrypted).toMatch(/^also_plain: c$/m);
    expect(decrypted.plaintext.toString()).toBe(plain);
  });

  it('unencrypted_comment_regex leaves the value after a marker in clear text', async () => {
    const plain = 'a: secret\n# sops:plain\nb: visible\n';
    const { encrypted } = await roundTrip(plain, 'yaml', { rule: { kind: 'unencrypted_comment_regex', value: 'sops:plain' } });
    expect(encrypted).toMatch(/^a: ENC\[/m);
    expect(encrypted).toMatch(/^b: visible$/m);
  });

  it('mac_only_encrypted: clear-text values are outside the MAC (sops semantics)', async () => {
    const { encrypted, file } = await roundTrip('a: secret\nb_unencrypted: visible\n', 'yaml', { macOnlyEncrypted: true });
    expect(encrypted).toContain('    mac_only_encrypted: true\n');
    writeFileSync(file, encrypted.replace('b_unencrypted: visible', 'b_unencrypted: changed'));
    const r = await decryptFile(file, { workspaceRoot: tmp, env: { HOME: tmp, SOPS_AGE_KEY: id }, backend: 'builtin' });
    expect(r.data).toEqual({ a: 'secret', b_unencrypted: 'changed' });
    writeFileSync(file, encrypted.replace(/^a: ENC\[AES256_GCM,data:[^,]+/m, 'a: ENC[AES256_GCM,data:AAAA'));
    await expect(decryptFile(file, { workspaceRoot: tmp, env: { HOME: tmp, SOPS_AGE_KEY: id }, backend: 'builtin' })).rejects.toMatchObject({
      code: 'mac-mismatch',
    });
  });

  it('rejects an invalid rule', async () => {
    await expect(encryptDocument('a: b\n', { format: 'yaml', recipients: [recipient], rule: { kind: 'encrypted_regex', value: '' } })).rejects.toBeInstanceOf(
      SopsError,
    );
  });
});

describe('key groups and recipients', () => {
  it('Shamir: 3 groups, threshold 2 — any 2 groups decrypt, 1 does not', async () => {
    const ids = await Promise.all([1, 2, 3].map(() => generateX25519Identity()));
    const recipients = await Promise.all(ids.map((i) => identityToRecipient(i)));
    const out = await encryptDocument('k: v\n', { format: 'yaml', keyGroups: recipients.map((r) => [r]), shamirThreshold: 2 });
    expect(out).toContain('    shamir_threshold: 2\n    key_groups:\n');
    const file = join(tmp, 'shamir.yaml');
    writeFileSync(file, out);
    const open = (keys: string[]) => decryptFile(file, { workspaceRoot: tmp, env: { HOME: tmp, SOPS_AGE_KEY: keys.join('\n') }, backend: 'builtin' });
    expect((await open([ids[0], ids[2]])).data).toEqual({ k: 'v' });
    expect((await open([ids[1], ids[2]])).data).toEqual({ k: 'v' });
    await expect(open([ids[1]])).rejects.toMatchObject({ code: 'wrong-key' });
  });

  it('several recipients in one group: each one decrypts', async () => {
    const other = await generateX25519Identity();
    const out = await encryptDocument('k: v\n', { format: 'yaml', recipients: [recipient, await identityToRecipient(other)] });
    const file = join(tmp, 'two.yaml');
    writeFileSync(file, out);
    for (const key of [id, other]) {
      const r = await decryptFile(file, { workspaceRoot: tmp, env: { HOME: tmp, SOPS_AGE_KEY: key }, backend: 'builtin' });
      expect(r.data).toEqual({ k: 'v' });
    }
  });

  it('post-quantum hybrid recipients (age1pq1) need sops >= 3.12', async () => {
    const pq = await generateHybridIdentity();
    const pqRecipient = await identityToRecipient(pq);
    expect(pqRecipient.startsWith('age1pq1')).toBe(true);
    const out = await encryptDocument('k: v\n', { format: 'yaml', recipients: [pqRecipient] });
    expect(out).toMatch(/ {4}version: 3\.12\.0\n$/);
    const file = join(tmp, 'pq.yaml');
    writeFileSync(file, out);
    const r = await decryptFile(file, { workspaceRoot: tmp, env: { HOME: tmp, SOPS_AGE_KEY: pq }, backend: 'builtin' });
    expect(r.data).toEqual({ k: 'v' });
  });

  it('refuses recipients the built-in backend cannot use', async () => {
    await expect(encryptDocument('k: v\n', { format: 'yaml', recipients: ['ssh-ed25519 AAAA'] })).rejects.toThrow(/SSH recipient/);
    await expect(encryptDocument('k: v\n', { format: 'yaml', recipients: ['age1yubikey1qqq'] })).rejects.toThrow(/plugin/);
    await expect(encryptDocument('k: v\n', { format: 'yaml', recipients: [] })).rejects.toThrow(/no age recipients/);
  });
});
