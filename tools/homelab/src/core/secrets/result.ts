/** Shapes shared by both backends. */
import { readFile } from 'node:fs/promises';
import { HomelabError } from '../model/errors.ts';
import type { SopsFormat } from './format.ts';
import type { KeyDiscovery } from './keys.ts';
import { Branch } from './tree.ts';
import { toJs } from './view.ts';

export type BackendName = 'cli' | 'builtin';

export interface SecretsOptions {
  /** Workspace root: where the demo key `demo-age-key.txt` lives (used only when no other key is found). */
  workspaceRoot: string;
  /** Overrides the format chosen from the file extension. */
  format?: SopsFormat;
  env?: NodeJS.ProcessEnv;
  /** Prompt for the passphrase of an age-encrypted identity file. */
  passphrase?: (source: string) => Promise<string>;
  /** Identities the run already looked up (once per run): no second lookup, no second SOPS_AGE_KEY_CMD. */
  keys?: KeyDiscovery;
}

export interface DecryptResult {
  file: string;
  format: SopsFormat;
  backend: BackendName;
  /** The plaintext document in its own format: exactly what `sops decrypt` prints. Keep it in memory. */
  plaintext: Buffer;
  /** JS view of the (first) document. */
  data: unknown;
  /** JS views of every document (several only for multi-document YAML). */
  documents: unknown[];
  /** Every decrypted value as text (non-empty, encrypted leaves only), for the output masker. */
  leaves: string[];
  /** Where the age identities came from (names and paths only). */
  keySources: string[];
  /** The decrypted documents (built-in engine only; the sops CLI gives text). */
  branches?: Branch[];
}

export function views(branches: Branch[]): { data: unknown; documents: unknown[] } {
  const documents = branches.map((b) => toJs(b));
  return { data: documents[0] ?? toJs(new Branch()), documents };
}

export async function readSecretFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new HomelabError(`${file}: cannot read the file (${code ?? 'error'})`, 'check the path of the secret file');
  }
}
