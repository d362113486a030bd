/**
 * The built-in SOPS backend: decrypt, encrypt, edit in place, rotate the data key, change recipients.
 * Plaintext only ever exists in memory; files are written encrypted and atomically.
 */
import { randomBytes } from 'node:crypto';
import { checkRecipient, unwrapDataKey, wrapKey, type UnwrappedKey } from './age.ts';
import { writeFileAtomic, type AtomicWriteHooks } from './atomic.ts';
import { SecretsDocument } from './document.ts';
import { compareVersions, decryptDocument, encryptBranches, sealMac, type DecryptedTree } from './engine.ts';
import { noKeyFound, SopsError, unsupported } from './errors.ts';
import { loadEncryptedCached } from './parsed-cache.ts';
import { formatFromPath, type SopsFormat } from './format.ts';
import { rfc3339Now } from './go-values.ts';
import { discoverAgeKeys, type KeyDiscovery } from './keys.ts';
import { ageRecipients, DEFAULT_RULE, otherKeyCount, RULE_KINDS, type EncryptionRule, type KeyGroup, type SopsMetadata } from './metadata.ts';
import { readSecretFile, views, type DecryptResult, type SecretsOptions } from './result.ts';
import { DEFAULT_LAYOUT, emitEncrypted, emitPlain, hasSopsMetadata, loadEncrypted, loadPlain, type EncryptedDocument, type Layout } from './stores/index.ts';
import { forEachLeaf, Int, Time, type Branch } from './tree.ts';

interface Opened {
  file: string;
  doc: EncryptedDocument;
  key: UnwrappedKey;
  keys: KeyDiscovery;
  tree: DecryptedTree;
}

/** Find identities, recover the data key, decrypt and verify the MAC (`content`: the file's bytes, already read). */
async function open(file: string, opts: SecretsOptions, content?: Uint8Array): Promise<Opened> {
  const format = opts.format ?? formatFromPath(file);
  // A file read here may come from the parse cache; content handed in (an edit being checked) is always parsed.
  const doc = content ? loadEncrypted(content, format, file) : loadEncryptedCached(await readSecretFile(file), format, file, opts.workspaceRoot);
  const recipients = ageRecipients(doc.metadata);
  const keys = opts.keys ?? (await discoverAgeKeys({ workspaceRoot: opts.workspaceRoot, env: opts.env, recipients, passphrase: opts.passphrase }));
  if (keys.identities.length === 0) throw noKeyFound(file, keys.searched);
  const key = await unwrapDataKey(doc.metadata, keys.identities, file, keys.sources);
  return { file, doc, key, keys, tree: decryptDocument(doc, key.dataKey, file) };
}

/** Decrypt `file` (or `content`, bytes of it already read), MAC verified. */
export async function builtinDecrypt(file: string, opts: SecretsOptions, content?: Uint8Array): Promise<DecryptResult> {
  const { doc, keys, tree } = await open(file, opts, content);
  // Emitted and viewed on first use: a render taking one chart's key of a large store needs neither for the whole file.
  let plaintext: Buffer | undefined;
  let view: ReturnType<typeof views> | undefined;
  return {
    file,
    format: doc.format,
    backend: 'builtin',
    get plaintext() {
      plaintext ??= emitPlain(doc.format, tree.branches, file);
      return plaintext;
    },
    get data() {
      view ??= views(tree.branches);
      return view.data;
    },
    get documents() {
      view ??= views(tree.branches);
      return view.documents;
    },
    leaves: tree.leaves,
    keySources: keys.sources,
    branches: tree.branches,
  };
}

export interface EncryptOptions {
  /** Format of the plaintext and of the encrypted output. */
  format: SopsFormat;
  /** age recipients of the (single) key group. */
  recipients?: readonly string[];
  /** Several key groups: the data key is split with Shamir; each group's recipients wrap one share. */
  keyGroups?: readonly (readonly string[])[];
  /** Groups needed to decrypt (default: all groups). */
  shamirThreshold?: number;
  /** Which leaves to encrypt (default `unencrypted_suffix: _unencrypted`). */
  rule?: EncryptionRule;
  macOnlyEncrypted?: boolean;
  /** YAML indentation (default 4, like sops); for JSON, spaces instead of sops' tab. */
  indent?: number;
  /** Name used in messages. */
  file?: string;
  /** `lastmodified` (default: now). */
  now?: Date;
}

/**
 * The sops version to record: 3.9.0, or newer when the file needs it: time values (3.10), age1pq1
 * recipients (3.12), JSON ints beyond 2^53 (3.13.2, which stopped reading JSON numbers as floats).
 */
function versionFor(format: SopsFormat, branches: Branch[], groups: KeyGroup[], floor = '3.9.0'): string {
  const needs = ['3.9.0'];
  forEachLeaf(branches, ({ value }) => {
    if (value instanceof Time) needs.push('3.10.0');
    if ((format === 'json' || format === 'binary') && value instanceof Int && (value.value > 2n ** 53n || value.value < -(2n ** 53n))) {
      needs.push('3.13.2');
    }
  });
  if (groups.some((g) => g.age.some((a) => a.recipient.startsWith('age1pq1')))) needs.push('3.12.0');
  return [floor, ...needs].reduce((a, b) => (compareVersions(a, b) >= 0 ? a : b));
}

/** sops < 3.13.2 hashed clear-text JSON ints as floats: keep doing so for files recorded as such. */
const floatInts = (format: SopsFormat, version: string): boolean => (format === 'json' || format === 'binary') && compareVersions(version, '3.13.2') < 0;

function checkRule(rule: EncryptionRule, file: string): EncryptionRule {
  if (!(RULE_KINDS as readonly string[]).includes(rule.kind) || rule.value === '') {
    throw unsupported(file, `invalid encryption rule ${JSON.stringify(rule)}`, `use one of ${RULE_KINDS.join(', ')} with a non-empty value`);
  }
  return rule;
}

async function wrapGroups(dataKey: Buffer, recipientGroups: readonly (readonly string[])[], threshold: number, file: string): Promise<KeyGroup[]> {
  if (recipientGroups.length === 0 || recipientGroups.some((g) => g.length === 0)) {
    throw unsupported(file, 'no age recipients to encrypt for', 'pass at least one age1… recipient (per key group)');
  }
  for (const g of recipientGroups) for (const r of g) checkRecipient(r, file);
  // sops shares the data key with Vault's Shamir (GF(2^8), AES polynomial, x coordinate as the last byte);
  // shamir-secret-sharing, audited, uses the same layout, so shares round-trip with sops both ways. Loaded only for
  // several key groups (age.ts likewise when decrypting).
  const parts =
    recipientGroups.length === 1 ? [dataKey] : await (await import('shamir-secret-sharing')).split(new Uint8Array(dataKey), recipientGroups.length, threshold);
  return Promise.all(
    recipientGroups.map(async (g, i) => ({
      age: await Promise.all(g.map(async (recipient) => ({ recipient: recipient.trim(), enc: await wrapKey(parts[i], recipient, file) }))),
      others: {},
    })),
  );
}

function layoutFor(format: SopsFormat, indent: number | undefined): Layout {
  if (indent === undefined) return DEFAULT_LAYOUT;
  return format === 'json' ? { ...DEFAULT_LAYOUT, json: { ...DEFAULT_LAYOUT.json, indent: ' '.repeat(indent) } } : { ...DEFAULT_LAYOUT, yamlIndent: indent };
}

/** Encrypt a plaintext document for age recipients; returns the encrypted file content. */
export async function builtinEncrypt(plaintext: string | Uint8Array, opts: EncryptOptions): Promise<string> {
  const file = opts.file ?? `<${opts.format} document>`;
  const bytes = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  const branches = loadPlain(bytes, opts.format, file);
  if (branches.length === 0) throw unsupported(file, 'the document is empty', 'write at least one key');
  if (hasSopsMetadata(opts.format, branches)) {
    throw new SopsError('unsupported', `${file}: already SOPS-encrypted`, 'decrypt or edit it instead of encrypting it again');
  }
  const rule = checkRule(opts.rule ?? DEFAULT_RULE, file);
  const groups = opts.keyGroups ?? [opts.recipients ?? []];
  const threshold = groups.length > 1 ? (opts.shamirThreshold ?? groups.length) : 0;
  if (groups.length > 1 && (threshold < 2 || threshold > groups.length)) {
    throw unsupported(file, `invalid Shamir threshold ${threshold} for ${groups.length} key groups`, 'use a threshold between 2 and the number of groups');
  }
  const dataKey = randomBytes(32);
  const keyGroups = await wrapGroups(dataKey, groups, threshold, file);
  const macOnly = opts.macOnlyEncrypted ?? false;
  const version = versionFor(opts.format, branches, keyGroups);
  const enc = encryptBranches(branches, dataKey, rule, macOnly, file, undefined, floatInts(opts.format, version));
  const lastModified = rfc3339Now(opts.now);
  const metadata: SopsMetadata = {
    keyGroups,
    shamirThreshold: threshold,
    lastModified,
    mac: sealMac(enc.macHex, dataKey, lastModified),
    rule,
    macOnlyEncrypted: macOnly,
    version,
  };
  return emitEncrypted({ format: opts.format, branches: enc.branches, metadata, layout: layoutFor(opts.format, opts.indent) }, file);
}

export interface WriteOptions extends SecretsOptions {
  /** `lastmodified` of the rewritten file (default: now). */
  now?: Date;
  /** Test seam for the atomic write. */
  writeHooks?: AtomicWriteHooks;
}

/** Re-encrypt plaintext branches with the file's data key: the new encrypted file content. */
function reencrypt(o: Opened, branches: Branch[], dataKey: Buffer, keyGroups: KeyGroup[], reuseIvs: boolean, opts: { now?: Date }): string {
  const md = o.doc.metadata;
  const format = o.doc.format;
  const version = versionFor(format, branches, keyGroups, md.version || '3.9.0');
  const stash = reuseIvs ? o.tree.stash : undefined;
  const enc = encryptBranches(branches, dataKey, md.rule, md.macOnlyEncrypted, o.file, stash, floatInts(format, version));
  const lastModified = rfc3339Now(opts.now);
  const metadata: SopsMetadata = { ...md, keyGroups, lastModified, mac: sealMac(enc.macHex, dataKey, lastModified), version };
  return emitEncrypted({ ...o.doc, branches: enc.branches, metadata }, o.file);
}

/** `reencrypt`, then rewrite the file atomically. */
async function rewrite(o: Opened, branches: Branch[], dataKey: Buffer, keyGroups: KeyGroup[], reuseIvs: boolean, opts: WriteOptions): Promise<string> {
  const out = reencrypt(o, branches, dataKey, keyGroups, reuseIvs, opts);
  await writeFileAtomic(o.file, out, opts.writeHooks);
  return out;
}

export interface EditResult {
  changed: boolean;
}

/**
 * Decrypt `file`, let `edit` change the document, and write it back re-encrypted with the same data
 * key; every unchanged value keeps its exact ciphertext (same IV), so diffs show only real changes.
 * Nothing is written when nothing changed.
 */
export async function editFile(file: string, edit: (doc: SecretsDocument) => void | Promise<void>, opts: WriteOptions): Promise<EditResult> {
  const o = await open(file, opts);
  const document = await applyEdit(o, edit);
  if (!document) return { changed: false };
  await rewrite(o, document.documents, o.key.dataKey, o.doc.metadata.keyGroups, true, opts);
  return { changed: true };
}

/**
 * `editFile` on content the caller holds (an Nx generator's Tree): returns the new encrypted content instead of
 * writing it (`content` unchanged when the edit changed nothing). `file` names the format and the messages.
 */
export async function editContent(
  file: string,
  content: Uint8Array,
  edit: (doc: SecretsDocument) => void | Promise<void>,
  opts: SecretsOptions & { now?: Date },
): Promise<EditResult & { content: string }> {
  const o = await open(file, opts, content);
  const document = await applyEdit(o, edit);
  if (!document) return { changed: false, content: Buffer.from(content).toString('utf8') };
  return { changed: true, content: reencrypt(o, document.documents, o.key.dataKey, o.doc.metadata.keyGroups, true, opts) };
}

/** Runs the edit; undefined when the encrypted output would be unchanged. */
async function applyEdit(o: Opened, edit: (doc: SecretsDocument) => void | Promise<void>): Promise<SecretsDocument | undefined> {
  const document = new SecretsDocument(o.tree.branches);
  await edit(document);
  const md = o.doc.metadata;
  const probe = encryptBranches(document.documents, o.key.dataKey, md.rule, md.macOnlyEncrypted, o.file, o.tree.stash);
  const before = emitEncrypted({ ...o.doc }, o.file);
  const after = emitEncrypted({ ...o.doc, branches: probe.branches }, o.file);
  return before === after ? undefined : document;
}

function onlyAge(o: Opened, what: string): void {
  if (o.doc.metadata.keyGroups.some((g) => otherKeyCount(g) > 0)) {
    throw unsupported(
      o.file,
      `${what} needs to re-wrap the data key for its pgp/kms/… keys, which the built-in backend cannot do`,
      'use the sops CLI for files with non-age master keys',
    );
  }
}

/** New data key: every value re-encrypted (new IVs), the key re-wrapped for the same age recipients. */
export async function rotateFile(file: string, opts: WriteOptions): Promise<void> {
  const o = await open(file, opts);
  onlyAge(o, 'rotate');
  const md = o.doc.metadata;
  const dataKey = randomBytes(32);
  const threshold = md.keyGroups.length > 1 ? md.shamirThreshold || md.keyGroups.length : 0;
  const groups = await wrapGroups(
    dataKey,
    md.keyGroups.map((g) => g.age.map((a) => a.recipient)),
    threshold,
    file,
  );
  await rewrite(o, o.tree.branches, dataKey, groups, false, opts);
}

export interface RecipientChange {
  add?: readonly string[];
  remove?: readonly string[];
  /** Key group to add to (default 0). */
  group?: number;
}

/**
 * Add or remove age recipients: the same data key (or the group's share) is wrapped for the new
 * recipients; values, MAC and lastmodified are unchanged. Returns whether the file changed.
 */
export async function updateRecipients(file: string, change: RecipientChange, opts: WriteOptions): Promise<EditResult> {
  const o = await open(file, opts);
  const groups = o.doc.metadata.keyGroups;
  const target = change.group ?? 0;
  if (!groups[target]) throw unsupported(file, `there is no key group #${target}`, `use a group below ${groups.length}`);
  const remove = new Set((change.remove ?? []).map((r) => r.trim()));
  const wanted = groups.map((g, i) => {
    const kept = g.age.map((a) => a.recipient).filter((r) => !remove.has(r));
    return i === target ? [...kept, ...(change.add ?? []).map((r) => r.trim()).filter((r) => !kept.includes(r))] : kept;
  });
  return rewrapFor(o, wanted, opts);
}

/**
 * `sops updatekeys`: the file's age recipients become `wanted` (one list per key group, e.g. a .sops.yaml creation
 * rule's). The data key is re-wrapped, never replaced: values, MAC and lastmodified stay. Recipients kept keep their
 * wrapped key; a new number of key groups splits the data key into new shares.
 */
export async function setRecipients(file: string, wanted: readonly (readonly string[])[], opts: WriteOptions): Promise<EditResult> {
  return rewrapFor(await open(file, opts), wanted, opts);
}

async function rewrapFor(o: Opened, wanted: readonly (readonly string[])[], opts: WriteOptions): Promise<EditResult> {
  const md = o.doc.metadata;
  const file = o.file;
  let groups: KeyGroup[];
  let threshold = md.shamirThreshold;
  if (wanted.length === md.keyGroups.length) {
    groups = [];
    for (let i = 0; i < wanted.length; i++) {
      const g = md.keyGroups[i];
      const part = md.keyGroups.length === 1 ? o.key.dataKey : o.key.parts[i];
      const age = [];
      for (const recipient of wanted[i].map((r) => r.trim())) {
        const existing = g.age.find((a) => a.recipient === recipient);
        if (existing) age.push(existing);
        else if (!part) throw unsupported(file, `cannot add to key group #${i}: none of your keys opens it`, 'add the recipient with a key of that group');
        else age.push({ recipient, enc: await wrapKey(part, recipient, file) });
      }
      if (age.length + otherKeyCount(g) === 0) {
        throw unsupported(file, `removing those recipients would leave key group #${i} without any key`, 'add another recipient first');
      }
      groups.push({ ...g, age });
    }
  } else {
    onlyAge(o, 'changing the number of key groups');
    threshold = wanted.length > 1 ? Math.min(md.shamirThreshold || wanted.length, wanted.length) : 0;
    groups = await wrapGroups(o.key.dataKey, wanted, threshold, file);
  }
  const same = (a: KeyGroup[], b: KeyGroup[]) =>
    a.length === b.length && a.every((g, i) => g.age.length === b[i].age.length && g.age.every((x, j) => x.recipient === b[i].age[j].recipient));
  if (same(groups, md.keyGroups) && threshold === md.shamirThreshold) return { changed: false };
  const out = emitEncrypted({ ...o.doc, metadata: { ...md, keyGroups: groups, shamirThreshold: threshold } }, file);
  await writeFileAtomic(file, out, opts.writeHooks);
  return { changed: true };
}
