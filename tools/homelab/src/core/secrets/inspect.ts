/**
 * Reading an encrypted file without printing plaintext: its recipients (no key needed), and a masked
 * view of a decrypted file that keeps its structure, clear-text values and clear-text comments.
 */
import { isEncrypted } from './cipher.ts';
import { HomelabError } from '../model/errors.ts';
import { formatFromPath, type SopsFormat } from './format.ts';
import { readSecretFile, views } from './result.ts';
import { withoutEncryptedComments } from './placeholders.ts';
import { emitPlain, loadEncrypted } from './stores/index.ts';
import { Comment, mapLeaves, type Branch } from './tree.ts';

/** The age recipients of each key group, read from the metadata alone. */
export async function fileRecipients(file: string, format: SopsFormat = formatFromPath(file)): Promise<string[][]> {
  const doc = loadEncrypted(await readSecretFile(file), format, file);
  return doc.metadata.keyGroups.map((g) => g.age.map((a) => a.recipient));
}

export interface MaskedDocument {
  /** The masked document in the file's own format. */
  plaintext: Buffer;
  documents: unknown[];
}

/**
 * The encrypted file `encrypted` with every ENC[…] value replaced by `marker(plaintext)`. `leaves` are the
 * decrypted values of the same bytes in walk order (`DecryptResult.leaves`, one per non-empty encrypted value).
 */
export function maskedDocument(
  encrypted: Uint8Array,
  format: SopsFormat,
  leaves: readonly string[],
  marker: (plaintext: string) => string,
  file: string,
): MaskedDocument {
  const doc = loadEncrypted(encrypted, format, file);
  let next = 0;
  const branches = mapLeaves(doc.branches, ({ value }) => {
    if (value instanceof Comment || !isEncrypted(value)) return value;
    return marker(leaves[next++] ?? '');
  }).map((b) => withoutEncryptedComments(b) as Branch);
  if (next !== leaves.length) {
    throw new HomelabError(`${file}: changed while it was being read`, 'run the command again');
  }
  return { plaintext: emitPlain(format, branches, file), ...views(branches) };
}
