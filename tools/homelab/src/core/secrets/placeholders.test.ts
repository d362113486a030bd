/** Keyless placeholders from real fixtures: same structure, typed dummies, clear text kept, deterministic. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { placeholderDocument, placeholderFile } from './placeholders.ts';
import { loadPlain } from './stores/index.ts';
import { Float } from './tree.ts';

const FIXTURES = resolve(import.meta.dirname, '../../../../../test/fixtures/sops');

describe('placeholders', () => {
  it('YAML: typed dummies from the type tags, clear text kept, encrypted comments dropped', async () => {
    const out = await placeholderFile(join(FIXTURES, 'getsops-sops-pgp-supplementary/example.yaml'));
    expect(out.toString()).toBe(
      [
        'myapp1: placeholder-myapp1',
        'app2:',
        '    db:',
        '        user: placeholder-app2.db.user',
        '        password: placeholder-app2.db.password',
        '    key: placeholder-app2.key',
        'number: 0.0',
        'an_array:',
        '    - placeholder-an_array[0]',
        '    - placeholder-an_array[1]',
        '    - placeholder-an_array[2]',
        '    - placeholder-an_array[3]',
        'somebooleans:',
        '    - false',
        '    - false',
        'this:',
        '    is:',
        '        a:',
        '            nested:',
        '                value: placeholder-this.is.a.nested.value',
        'somelist_unencrypted:',
        '    - all elements of this list',
        '    - remain in clear text',
        '    - because of the _unencrypted suffix in the key',
        'nested_unencrypted:',
        '    this:',
        '        is:',
        '            all: going to remain in clear text',
        '',
      ].join('\n'),
    );
    // `0.0` reads back as a float, so charts see the same types as with the real values.
    const [doc] = loadPlain(out, 'yaml', 'x');
    expect(doc.get('number')).toBeInstanceOf(Float);
  });

  it('ints and empty strings; the JS view; identical output on every call', () => {
    const bytes = readFileSync(join(FIXTURES, 'humphd-sops-age/secret.enc.json'));
    const a = placeholderDocument(bytes, 'json');
    const b = placeholderDocument(bytes, 'json');
    expect(a.plaintext.equals(b.plaintext)).toBe(true);
    expect(a.data).toEqual({
      secret: 'placeholder-secret',
      string: 'placeholder-string',
      int: 0,
      float: 0,
      boolean: false,
      '0word': 'placeholder-0word',
      complex: { value: 'placeholder-complex.value', array: ['placeholder-complex.array[0]', 'placeholder-complex.array[1]', 'placeholder-complex.array[2]'] },
    });
    expect(a.plaintext.toString()).toContain('\t"int": 0.0,\n');
    const example = placeholderDocument(readFileSync(join(FIXTURES, 'getsops-sops-pgp-supplementary/example.json')), 'json');
    expect((example.data as { anEmptyValue: string }).anEmptyValue).toBe('');
  });

  it('dotenv, INI and time values', () => {
    const env = placeholderDocument(readFileSync(join(FIXTURES, 'humphd-sops-age/secret.enc.env')), 'dotenv');
    expect(env.plaintext.toString()).toBe('secret=placeholder-secret\nanother_secret=placeholder-another_secret\n');
    const ini = placeholderDocument(readFileSync(join(FIXTURES, 'getsops-sops-pgp-supplementary/example.ini')), 'ini');
    expect(ini.data).toMatchObject({ 'not private': { notsecret_unencrypted: 'hi there!' }, name: { firstName: 'placeholder-name.firstName' } });
    const time = placeholderDocument(
      't: ENC[AES256_GCM,data:AA==,iv:AA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:time]\nsops:\n    age:\n        - recipient: age1x\n          enc: x\n    lastmodified: "2024-01-01T00:00:00Z"\n    mac: ""\n    version: 3.10.0\n',
      'yaml',
    );
    expect(time.plaintext.toString()).toBe('t: 1970-01-01T00:00:00Z\n');
  });

  it('distinct: each value also tagged by its ciphertext, so only a value whose ciphertext changed changes placeholder', () => {
    const text = readFileSync(join(FIXTURES, 'humphd-sops-age/secret.enc.json'), 'utf8');
    const before = placeholderDocument(text, 'json', 'x', { distinct: true }).data as Record<string, unknown>;
    expect(before.secret).toMatch(/^placeholder-secret-[0-9a-f]{8}$/);
    expect(before.float).not.toBe(0);
    expect(typeof before.float).toBe('number');
    expect(before.boolean).toBe(false);
    // Another ciphertext for `secret` (a new IV, as a new value gets): it alone changes.
    const edited = text.replace('iv:glPwxoY2UuHO91vlJRaqYtFkPY1VsWvkJtfkEKZJdns=', 'iv:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=');
    const after = placeholderDocument(edited, 'json', 'x', { distinct: true }).data as Record<string, unknown>;
    expect(after.secret).toMatch(/^placeholder-secret-[0-9a-f]{8}$/);
    expect(after.secret).not.toBe(before.secret);
    expect({ ...after, secret: before.secret }).toEqual(before);
  });

  it('refuses files that are not encrypted', () => {
    expect(() => placeholderDocument('password: hunter2\n', 'yaml')).toThrow(/not a SOPS-encrypted file/);
  });
});
