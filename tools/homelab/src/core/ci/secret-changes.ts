import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { decryptFile, discoverAgeKeys, formatFromPath } from '../secrets/index.ts';
import { isRecord, parseYamlDocument } from '../workspace/yaml-docs.ts';

/**
 * Which value paths of a SOPS file changed between two commits, without being fooled by re-encryption.
 *
 * SOPS keeps keys readable and encrypts each value with its own IV; `sops edit` re-encrypts an unchanged
 * value to the same bytes, but `sops updatekeys`/`rotate` or a fresh `sops -e` change every ciphertext.
 * - keyless: compare the trees structurally. Added and removed keys are exact; a value counts as changed
 *   when its ciphertext differs, and every value does when the data key may have changed (the key
 *   stanzas in `sops:` differ). A superset of the true changes: safe for CI.
 * - with a key (`decrypt` given): compare the decrypted values per path. Exact. When either side cannot be
 *   decrypted (another key, tampering), ciphertexts are compared instead.
 * A list is one value (SOPS encrypts list items under the list's own path, so helm sees the list whole).
 */
export interface SecretFileChange {
  /** Changed value paths (a changed map counts through its changed leaves). */
  paths: string[][];
  /** Every reader is affected (file added, removed or not a YAML mapping); `paths` is then empty. */
  whole: boolean;
  /** Compared decrypted values (exact) rather than ciphertexts. */
  decrypted: boolean;
  /** One line for explanations. */
  why: string;
}

/** Decrypts the SOPS document `text` (a version of `file`) into plain data, in memory. Throws when it cannot. */
export type Decrypt = (text: string, file: string) => Promise<unknown>;

/**
 * A Decrypt over the SOPS layer when an age identity is found (SOPS_AGE_KEY*, keys.txt, else the demo key),
 * undefined otherwise (then ciphertexts are compared). Versions from git are still encrypted, so they are
 * staged in a private temporary file for the decrypter; the plaintext stays in memory.
 */
export async function secretsDecrypter(root: string): Promise<Decrypt | undefined> {
  const keys = await discoverAgeKeys({ workspaceRoot: root });
  if (keys.identities.length === 0) return undefined;
  return async (text, file) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'homelab-sops-'));
    try {
      const staged = path.join(dir, path.basename(file));
      await writeFile(staged, text, { mode: 0o600 });
      return (await decryptFile(staged, { workspaceRoot: root, format: formatFromPath(file), keys })).data;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}

export async function secretFileChange(file: string, before: string | undefined, after: string | undefined, decrypt?: Decrypt): Promise<SecretFileChange> {
  const whole = (why: string, decrypted = false): SecretFileChange => ({ paths: [], whole: true, decrypted, why });
  if (before === undefined || after === undefined) return whole(`${file} was ${before === undefined ? 'added' : 'deleted'}`);
  let old: Record<string, unknown>;
  let now: Record<string, unknown>;
  try {
    old = asTree(parseYamlDocument(before, file));
    now = asTree(parseYamlDocument(after, file));
  } catch (err) {
    return whole(`${file} is not a readable YAML mapping (${(err as Error).message})`);
  }
  let undecryptable = '';
  if (decrypt) {
    try {
      const [plainOld, plainNow] = await Promise.all([decrypt(before, file), decrypt(after, file)]);
      const paths = diffPaths(withoutMetadata(asTree(plainOld)), withoutMetadata(asTree(plainNow)));
      return { paths, whole: false, decrypted: true, why: `${file}: ${describe(paths)} (decrypted values compared)` };
    } catch (err) {
      // Not the error text: it may quote decrypted material. Ciphertexts still give a sound (wider) answer.
      undecryptable = `could not be decrypted (${(err as Error).name}), so `;
    }
  }
  if (!isDeepStrictEqual(keyMaterial(old), keyMaterial(now))) {
    const paths = [...new Set([...Object.keys(withoutMetadata(old)), ...Object.keys(withoutMetadata(now))])].map((key) => [key]);
    return { paths, whole: false, decrypted: false, why: `${file} ${undecryptable}the data key may have changed: every value counts as changed` };
  }
  const paths = diffPaths(withoutMetadata(old), withoutMetadata(now));
  return { paths, whole: false, decrypted: false, why: `${file}: ${undecryptable}${describe(paths)} (ciphertexts compared)` };
}

function asTree(doc: unknown): Record<string, unknown> {
  if (doc === undefined || doc === null) return {};
  if (!isRecord(doc)) throw new Error('top level is not a mapping');
  return doc;
}

function withoutMetadata(tree: Record<string, unknown>): Record<string, unknown> {
  const { sops: _metadata, ...values } = tree;
  return values;
}

/** What decides the data key: every key group except the per-edit fields (lastmodified, mac). */
function keyMaterial(tree: Record<string, unknown>): unknown {
  const metadata = isRecord(tree.sops) ? tree.sops : {};
  const { lastmodified: _lastmodified, mac: _mac, ...rest } = metadata;
  return rest;
}

/** Paths whose value differs, was added or was removed; maps are descended, anything else is one value. */
export function diffPaths(a: Record<string, unknown>, b: Record<string, unknown>, prefix: string[] = []): string[][] {
  const out: string[][] = [];
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const path = [...prefix, key];
    const [x, y] = [a[key], b[key]];
    if (isRecord(x) && isRecord(y)) out.push(...diffPaths(x, y, path));
    else if (!(key in a) || !(key in b) || !isDeepStrictEqual(x, y)) out.push(path);
  }
  return out;
}

function describe(paths: string[][]): string {
  if (paths.length === 0) return 'no value changed';
  const shown = paths.slice(0, 5).map((p) => p.join('.'));
  return `changed ${shown.join(', ')}${paths.length > 5 ? ` and ${paths.length - 5} more` : ''}`;
}
