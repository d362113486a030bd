/**
 * One interface over the two SOPS backends. Default: the `sops` CLI when it is on PATH, else the
 * built-in implementation; HOMELAB_SOPS_BACKEND=cli|builtin forces one.
 */
import type { EncryptOptions } from './builtin.ts';
import { SopsError } from './errors.ts';
import { findSops } from './find-executable.ts';
import type { BackendName, DecryptResult, SecretsOptions } from './result.ts';

export interface SecretsBackend {
  readonly name: BackendName;
  decrypt(file: string, opts: SecretsOptions): Promise<DecryptResult>;
  encrypt(plaintext: string | Uint8Array, opts: EncryptOptions & { env?: NodeJS.ProcessEnv }): Promise<string>;
}

// Each backend loads on its first use: a run that decrypts with the built-in engine never loads the sops CLI path,
// and one that hands files to sops never loads the built-in engine.
export const builtinBackend: SecretsBackend = {
  name: 'builtin',
  decrypt: async (file, opts) => (await import('./builtin.ts')).builtinDecrypt(file, opts),
  encrypt: async (plaintext, opts) => (await import('./builtin.ts')).builtinEncrypt(plaintext, opts),
};

export const cliBackend: SecretsBackend = {
  name: 'cli',
  decrypt: async (file, opts) => (await import('./cli.ts')).cliDecrypt(file, opts),
  encrypt: async (plaintext, opts) => (await import('./cli.ts')).cliEncrypt(plaintext, opts),
};

export const BACKEND_ENV = 'HOMELAB_SOPS_BACKEND';

export function selectBackend(env: NodeJS.ProcessEnv = process.env): SecretsBackend {
  const forced = env[BACKEND_ENV];
  if (forced === 'cli') return cliBackend;
  if (forced === 'builtin') return builtinBackend;
  if (forced !== undefined && forced !== '') {
    throw new SopsError('backend', `${BACKEND_ENV}=${forced} is not a SOPS backend`, 'set it to cli or builtin, or unset it');
  }
  return findSops(env) ? cliBackend : builtinBackend;
}

export interface DecryptOptions extends SecretsOptions {
  backend?: BackendName;
}

/** Decrypt a SOPS file (MAC verified) into memory: plaintext, JS view and the secret values. */
export async function decryptFile(file: string, opts: DecryptOptions): Promise<DecryptResult> {
  const env = opts.env ?? process.env;
  const backend = opts.backend ? (opts.backend === 'cli' ? cliBackend : builtinBackend) : selectBackend(env);
  return backend.decrypt(file, opts);
}

/**
 * Encrypt a plaintext document for age recipients with the built-in implementation (sops 3.9–3.12
 * layout); `backend: 'cli'` hands it to the sops binary instead.
 */
export async function encryptDocument(
  plaintext: string | Uint8Array,
  opts: EncryptOptions & { backend?: BackendName; env?: NodeJS.ProcessEnv },
): Promise<string> {
  return (opts.backend === 'cli' ? cliBackend : builtinBackend).encrypt(plaintext, opts);
}
