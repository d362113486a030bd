/**
 * The entry of the SOPS layer: code outside secrets/ imports from here only (test/quality/secrets-entry.test.ts).
 * Importing it stays cheap: it loads small modules eagerly, and the engines (age-encryption, the built-in encryptor,
 * the sops CLI path, the editor) inside the first call of a function that needs them.
 */

// Small modules, loaded with the entry.
export { decryptFile, encryptDocument, selectBackend } from './backend.ts';
export type { SecretsBackend, DecryptOptions } from './backend.ts';
export { openSecrets, maskKeyFor } from './secret-source.ts';
export type { OpenedSecrets } from './secret-source.ts';
export { chartValueReads, readsPath, templateValueReads } from './value-reads.ts';
export { SecretsDocument } from './document.ts';
export { formatFromPath, parseFormat } from './format.ts';
export type { SopsFormat } from './format.ts';
export { ageRecipients, parseMetadata } from './metadata.ts';
export type { EncryptionRule, SopsMetadata } from './metadata.ts';
export { encryptPredicate } from './rules.ts';
export { readSecretFile } from './result.ts';
export type { DecryptResult, SecretsOptions, BackendName } from './result.ts';
export { Comment, Int, Float, formatPath } from './tree.ts';
export type { Branch, PathSegment } from './tree.ts';
export { creationRuleFor, findSopsConfig, SOPS_CONFIG_FILE } from './sops-config.ts';
export type { CreationRule } from './sops-config.ts';
export { memoryBase, memoryDirCandidates } from './memory-dir.ts';
export type { EncryptOptions, WriteOptions, EditResult, RecipientChange } from './builtin.ts';
export type { DiscoverOptions, KeyDiscovery } from './keys.ts';
export type { CreateOptions } from './create.ts';
export type { MaskedDocument } from './inspect.ts';
export type { EditSession } from './editor.ts';
export type { SopsWriter } from './cli-writes.ts';

/** `fn` with a promise of its result: the same call, made once `load` has brought its module in. */
type Deferred<F> = F extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;

function lazy<M, K extends keyof M>(load: () => Promise<M>, name: K): Deferred<M[K]> {
  return (async (...args: unknown[]) => ((await load())[name] as (...a: unknown[]) => unknown)(...args)) as Deferred<M[K]>;
}

const keys = () => import('./keys.ts');
export const discoverAgeKeys = lazy(keys, 'discoverAgeKeys');
export const parseIdentities = lazy(keys, 'parseIdentities');
export const keyFingerprint = lazy(keys, 'keyFingerprint');
export const recipientOf = lazy(() => import('./age.ts'), 'recipientOf');

const builtin = () => import('./builtin.ts');
export const editContent = lazy(builtin, 'editContent');
export const editFile = lazy(builtin, 'editFile');
export const rotateFile = lazy(builtin, 'rotateFile');
export const setRecipients = lazy(builtin, 'setRecipients');
export const updateRecipients = lazy(builtin, 'updateRecipients');
export const createFile = lazy(() => import('./create.ts'), 'createFile');
export const placeholderFile = lazy(() => import('./placeholders.ts'), 'placeholderFile');

const inspect = () => import('./inspect.ts');
export const fileRecipients = lazy(inspect, 'fileRecipients');
export const maskedDocument = lazy(inspect, 'maskedDocument');
export const editInEditor = lazy(() => import('./editor.ts'), 'editInEditor');

const cliWrites = () => import('./cli-writes.ts');
export const supports = lazy(cliWrites, 'supports');
export const cliSet = lazy(cliWrites, 'cliSet');
export const cliUnset = lazy(cliWrites, 'cliUnset');
export const cliRotate = lazy(cliWrites, 'cliRotate');
export const cliUpdateKeys = lazy(cliWrites, 'cliUpdateKeys');
export const cliEdit = lazy(cliWrites, 'cliEdit');
