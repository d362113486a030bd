/**
 * Every real sops output under test/fixtures/sops against its independently produced
 * `*.expected.json` (leaves with AAD/type/bytes, comments, MAC, plaintext), plus byte-exact
 * re-encryption of each leaf and re-emission of sops-written layouts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unwrapDataKey } from './age.ts';
import { envelopeType, isEncrypted, parseEnvelope, encryptValue, valueBytes } from './cipher.ts';
import { decryptDocument } from './engine.ts';
import { formatFromPath, type SopsFormat } from './format.ts';
import { parseIdentities } from './keys.ts';
import { encryptPredicate } from './rules.ts';
import { emitEncrypted, loadEncrypted } from './stores/index.ts';
import { aadOf, Comment, forEachLeaf, type Scalar } from './tree.ts';
import { toJs } from './view.ts';
import { decryptFile } from './backend.ts';

const FIXTURES = resolve(import.meta.dirname, '../../../../../test/fixtures/sops');

interface ExpectedLeaf {
  aad?: string;
  aad_if_encrypted?: string;
  encrypted: boolean;
  type?: string;
  decrypted_bytes?: string;
  mac_bytes: string;
}
interface Expected {
  format: string;
  data_key_hex: string;
  mac_hex: string;
  mac_aad: string;
  comments: { aad: string; plaintext: string }[];
  leaves: ExpectedLeaf[];
  plaintext: unknown;
}

const fixtures = readdirSync(FIXTURES, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.expected.json'))
  .map((f) => f.slice(0, -'.expected.json'.length))
  .sort();

const formatOf = (file: string, e: Expected): SopsFormat => (e.format === 'dotenv' ? 'dotenv' : formatFromPath(file));
const load = (file: string) => {
  const expected = JSON.parse(readFileSync(join(FIXTURES, `${file}.expected.json`), 'utf8')) as Expected;
  const bytes = readFileSync(join(FIXTURES, file));
  return { expected, bytes, doc: loadEncrypted(bytes, formatOf(file, expected), file) };
};

/** age key files that open the age fixtures (their own repositories' test keys). */
const AGE_KEYS: Record<string, string> = {
  'humphd-sops-age': 'humphd-sops-age/key.txt',
  'jkroepke-helm-secrets': 'jkroepke-helm-secrets/key.txt',
  'sops-nix': 'sops-nix/age-keys.txt',
};

describe('sops fixtures (data key injected)', () => {
  it('covers every fixture that has an oracle', () => {
    expect(fixtures.length).toBe(17);
  });

  it("the PGP fixtures' data keys (DATAKEYS.txt, from gpg) match the oracles", () => {
    const dir = 'getsops-sops-pgp-supplementary';
    const lines = readFileSync(join(FIXTURES, dir, 'DATAKEYS.txt'), 'utf8')
      .trim()
      .split('\n');
    expect(lines).toHaveLength(12);
    for (const line of lines) {
      const [name, hex] = line.split(' ');
      expect(load(`${dir}/${name}`).expected.data_key_hex).toBe(hex);
    }
  });

  describe.each(fixtures)('%s', (file) => {
    const { expected, doc } = load(file);
    const dataKey = Buffer.from(expected.data_key_hex, 'hex');
    const tree = decryptDocument(doc, dataKey, file);

    it('verifies the MAC and recomputes the recorded one', () => {
      expect(tree.macHex).toBe(expected.mac_hex);
    });

    it('decrypts to the expected plaintext view', () => {
      expect(toJs(tree.branches[0])).toEqual(expected.plaintext);
    });

    it('walks leaves in sops order with the recorded AAD, type and bytes', () => {
      const shouldEncrypt = encryptPredicate(doc.metadata.rule, file);
      const enc: { aad: string; encrypted: boolean; value: Scalar }[] = [];
      forEachLeaf(doc.branches, ({ value, keys, commentStack }) => {
        if (value instanceof Comment) return;
        enc.push({ aad: aadOf(keys), encrypted: shouldEncrypt(keys, commentStack, false), value });
      });
      const plain: Scalar[] = [];
      forEachLeaf(tree.branches, ({ value }) => {
        if (!(value instanceof Comment)) plain.push(value);
      });
      expect(enc.length).toBe(expected.leaves.length);
      expected.leaves.forEach((leaf, i) => {
        expect(enc[i].aad).toBe(leaf.aad ?? leaf.aad_if_encrypted);
        expect(enc[i].encrypted).toBe(leaf.encrypted);
        if (leaf.encrypted && leaf.decrypted_bytes !== '') {
          expect(envelopeType(enc[i].value as string)).toBe(leaf.type);
          expect(valueBytes(plain[i]).toString('utf8')).toBe(leaf.decrypted_bytes);
        }
        expect(valueBytes(plain[i]).toString('utf8')).toBe(leaf.mac_bytes);
      });
    });

    it('decrypts the encrypted comments with their AAD', () => {
      const comments: { aad: string; plaintext: string }[] = [];
      forEachLeaf(tree.branches, ({ value }) => {
        if (value instanceof Comment && value.aad !== undefined) comments.push({ aad: value.aad, plaintext: value.text });
      });
      expect(comments).toEqual(expected.comments);
    });

    it('re-encrypts every leaf, comment and the MAC byte-identically with the recorded key and IV', () => {
      const pairs: { enc: string; plain: Scalar | Comment; aad: string }[] = [];
      const plain: (Scalar | Comment)[] = [];
      forEachLeaf(tree.branches, ({ value }) => plain.push(value));
      let i = 0;
      forEachLeaf(doc.branches, ({ value, keys }) => {
        const p = plain[i++];
        const text = value instanceof Comment ? value.text : value;
        if (isEncrypted(text)) pairs.push({ enc: text, plain: p, aad: p instanceof Comment && p.aad ? p.aad : aadOf(keys) });
      });
      expect(pairs.length).toBeGreaterThan(0);
      for (const { enc, plain: p, aad } of pairs) {
        expect(encryptValue(p, dataKey, aad, undefined, parseEnvelope(enc)!.iv)).toBe(enc);
      }
      const macIv = parseEnvelope(doc.metadata.mac)!.iv;
      expect(encryptValue(expected.mac_hex, dataKey, expected.mac_aad, undefined, macIv)).toBe(doc.metadata.mac);
    });
  });
});

describe('sops fixtures (real age keys)', () => {
  const ageFixtures = fixtures.filter((f) => Object.keys(AGE_KEYS).some((dir) => f.startsWith(`${dir}/`)));

  it.each(ageFixtures)('%s: the key file unwraps the recorded data key', async (file) => {
    const { expected, doc } = load(file);
    const keyFile = join(FIXTURES, AGE_KEYS[file.split('/')[0]]);
    const ids = await parseIdentities(readFileSync(keyFile), keyFile);
    const { dataKey } = await unwrapDataKey(doc.metadata, ids, file, [keyFile]);
    expect(dataKey.toString('hex')).toBe(expected.data_key_hex);
  });

  it.each(ageFixtures)('%s: decryptFile (built-in) returns the plaintext and secret leaves', async (file) => {
    const { expected } = load(file);
    const keyFile = join(FIXTURES, AGE_KEYS[file.split('/')[0]]);
    const env = { HOME: '/nonexistent', SOPS_AGE_KEY_FILE: keyFile };
    const result = await decryptFile(join(FIXTURES, file), { workspaceRoot: '/nonexistent', env, backend: 'builtin', format: formatOf(file, expected) });
    expect(result.data).toEqual(expected.plaintext);
    expect(result.documents).toEqual([expected.plaintext]);
    expect(result.keySources).toEqual([keyFile]);
    const secretTexts = expected.leaves
      .filter((l) => l.encrypted && l.mac_bytes !== '')
      .map((l) => l.mac_bytes.replace(/^True$/, 'true').replace(/^False$/, 'false'));
    expect(result.leaves).toEqual(secretTexts);
  });
});

describe('sops layouts are reproduced byte for byte', () => {
  // Files whose metadata block is in the 3.10–3.13 layout we write (empty key lists omitted).
  it.each([
    'getsops-sops-pgp-supplementary/example.yaml',
    'getsops-sops-pgp-supplementary/functional-tests_res_format.enc.yaml',
    'getsops-sops-pgp-supplementary/functional-tests_res_format.enc.json',
    'getsops-sops-pgp-supplementary/functional-tests_res_format.enc.env',
    'getsops-sops-pgp-supplementary/functional-tests_res_format.enc.ini',
  ])('%s', (file) => {
    const { bytes, doc } = load(file);
    expect(emitEncrypted(doc, file)).toBe(bytes.toString('utf8'));
  });

  it.each(fixtures.filter((f) => /\.(ya?ml|json)$/.test(f) && !f.includes('res_comments') && !f.includes('multiple_keys') && !f.includes('example.json')))(
    '%s: the data part (everything before the metadata) is identical',
    (file) => {
      const { bytes, doc } = load(file);
      const cut = (s: string) => s.slice(0, s.search(/^sops:|^\s*"sops": /m));
      expect(cut(emitEncrypted(doc, file))).toBe(cut(bytes.toString('utf8')));
    },
  );
});
