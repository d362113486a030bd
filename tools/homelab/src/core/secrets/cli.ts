/**
 * The `sops` CLI backend. Keys found by our discovery reach sops through SOPS_AGE_KEY in the child
 * environment (never argv); the plaintext comes back on a pipe and stays in memory.
 */
import { tmpdir } from 'node:os';
import type { EncryptOptions } from './builtin.ts';
import { leafText } from './engine.ts';
import { macMismatch, noKeyFound, SopsError, wrongKey } from './errors.ts';
import { findSops } from './find-executable.ts';
import { formatFromPath } from './format.ts';
import { discoverAgeKeys, type KeyDiscovery } from './keys.ts';
import { ageRecipients } from './metadata.ts';
import { readSecretFile, views, type DecryptResult, type SecretsOptions } from './result.ts';
import { loadEncrypted, loadPlain, type EncryptedDocument } from './stores/index.ts';
import { Comment, forEachLeaf, type Branch, type Scalar } from './tree.ts';
import { isEncrypted } from './cipher.ts';

/** sops' exit codes (cmd/sops/codes). */
const EXIT_MAC_MISMATCH = 51;
const EXIT_NO_KEY = 128;

export function requireSops(env: NodeJS.ProcessEnv): string {
  const sops = findSops(env);
  if (!sops) throw new SopsError('backend', 'the sops CLI is not on PATH', 'install sops, or unset HOMELAB_SOPS_BACKEND to use the built-in implementation');
  return sops;
}

/** sops' environment: our keys in SOPS_AGE_KEY (never argv), no version check over the network. */
export function sopsEnv(env: NodeJS.ProcessEnv, keys: KeyDiscovery): NodeJS.ProcessEnv {
  const childEnv: NodeJS.ProcessEnv = { ...env, SOPS_DISABLE_VERSION_CHECK: '1' };
  if (keys.identities.length) childEnv.SOPS_AGE_KEY = keys.identities.join('\n');
  return childEnv;
}

function scalars(branches: Branch[]): Scalar[] {
  const out: Scalar[] = [];
  forEachLeaf(branches, ({ value }) => {
    if (!(value instanceof Comment)) out.push(value);
  });
  return out;
}

/** Pair the decrypted tree with the encrypted one to know which values were secret. */
function secretLeaves(encrypted: EncryptedDocument | undefined, plain: Branch[]): string[] {
  const values = scalars(plain);
  const enc = encrypted ? scalars(encrypted.branches) : undefined;
  const all = (vs: Scalar[]): string[] => vs.map(leafText).filter((t): t is string => !!t);
  // Structures differ only if sops read the file differently than we do: then mask every value.
  if (!enc || enc.length !== values.length) return all(values);
  return all(values.filter((_, i) => isEncrypted(enc[i])));
}

export async function cliDecrypt(file: string, opts: SecretsOptions): Promise<DecryptResult> {
  const env = opts.env ?? process.env;
  const sops = requireSops(env);
  const format = opts.format ?? formatFromPath(file);
  let doc: EncryptedDocument | undefined;
  try {
    doc = loadEncrypted(await readSecretFile(file), format, file);
  } catch (err) {
    // Refuse plain files ourselves; leave syntax sops may accept to sops.
    if (!(err instanceof SopsError) || err.code !== 'malformed') throw err;
  }
  const recipients = doc ? ageRecipients(doc.metadata) : [];
  const keys = opts.keys ?? (await discoverAgeKeys({ workspaceRoot: opts.workspaceRoot, env, recipients, passphrase: opts.passphrase }));
  const childEnv = sopsEnv(env, keys);
  const { execa } = await import('execa'); // lazily: see keys.ts
  const child = await execa(sops, ['decrypt', '--input-type', format, '--output-type', format, file], {
    env: childEnv,
    extendEnv: false,
    stdin: 'ignore',
    encoding: 'buffer',
    stripFinalNewline: false,
    reject: false,
  });
  if (child.exitCode === EXIT_MAC_MISMATCH) throw macMismatch(file);
  if (child.exitCode === EXIT_NO_KEY) {
    throw keys.identities.length === 0 ? noKeyFound(file, keys.searched) : wrongKey(file, recipients, keys.sources);
  }
  if (child.exitCode !== 0) {
    // sops' stderr may quote file content: it is not repeated here.
    throw new SopsError('backend', `${file}: sops decrypt failed (exit ${child.exitCode ?? 'signal'})`, `run \`sops decrypt ${file}\` to see its message`);
  }
  const plaintext = Buffer.from(child.stdout as Uint8Array);
  const branches = loadPlain(plaintext, format, file);
  return {
    file,
    format,
    backend: 'cli',
    plaintext,
    ...views(branches),
    leaves: secretLeaves(doc, branches),
    keySources: keys.sources,
  };
}

export async function cliEncrypt(plaintext: string | Uint8Array, opts: EncryptOptions & { env?: NodeJS.ProcessEnv }): Promise<string> {
  const env = opts.env ?? process.env;
  const sops = requireSops(env);
  const file = opts.file ?? `<${opts.format} document>`;
  if (opts.keyGroups && opts.keyGroups.length > 1) {
    throw new SopsError('unsupported', `${file}: key groups need a .sops.yaml with the sops CLI`, 'use the built-in backend for Shamir key groups');
  }
  const recipients = opts.keyGroups?.[0] ?? opts.recipients ?? [];
  const args = ['encrypt', '--age', recipients.join(','), '--input-type', opts.format, '--output-type', opts.format];
  if (opts.rule) args.push(`--${opts.rule.kind.replaceAll('_', '-')}`, opts.rule.value);
  if (opts.macOnlyEncrypted) args.push('--mac-only-encrypted');
  if (opts.indent !== undefined) args.push('--indent', String(opts.indent));
  args.push('/dev/stdin');
  // A neutral cwd, so no .sops.yaml creation rule interferes with the explicit flags.
  const { execa } = await import('execa'); // lazily: see keys.ts
  const child = await execa(sops, args, {
    env: { ...env, SOPS_DISABLE_VERSION_CHECK: '1' },
    extendEnv: false,
    cwd: tmpdir(),
    input: typeof plaintext === 'string' ? plaintext : Buffer.from(plaintext),
    stripFinalNewline: false,
    reject: false,
  });
  if (child.exitCode !== 0) {
    throw new SopsError('backend', `${file}: sops encrypt failed (exit ${child.exitCode ?? 'signal'})`, 'check the recipients and the document syntax');
  }
  return String(child.stdout);
}
