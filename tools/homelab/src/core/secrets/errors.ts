/**
 * The one-line errors of the SOPS layer. Messages name the file and say what to do; they never carry
 * a decrypted value, a key, or raw parser output (which could quote plaintext).
 */
import { HomelabError } from '../model/errors.ts';

export type SopsErrorCode = 'no-key' | 'wrong-key' | 'mac-mismatch' | 'not-encrypted' | 'unknown-format' | 'malformed' | 'unsupported' | 'backend';

export class SopsError extends HomelabError {
  readonly code: SopsErrorCode;
  constructor(code: SopsErrorCode, message: string, hint: string) {
    super(message, hint);
    this.name = 'SopsError';
    this.code = code;
  }
}

export function noKeyFound(file: string, searched: readonly string[]): SopsError {
  return new SopsError(
    'no-key',
    `${file}: no age key found (looked in ${searched.join(', ')})`,
    'put your age identity in ~/.config/sops/age/keys.txt or set SOPS_AGE_KEY_FILE (or SOPS_AGE_KEY)',
  );
}

export function wrongKey(file: string, recipients: readonly string[], sources: readonly string[]): SopsError {
  const expected = recipients.length ? recipients.join(', ') : 'no age recipient (only non-age master keys)';
  return new SopsError(
    'wrong-key',
    `${file}: none of the age keys from ${sources.join(', ')} can decrypt it; it is encrypted for ${expected}`,
    'use the identity of one of those recipients, or ask a holder to add yours (recipients add)',
  );
}

export function macMismatch(file: string, detail = 'MAC mismatch'): SopsError {
  return new SopsError(
    'mac-mismatch',
    `${file}: ${detail}: the file was tampered with or corrupted, refusing to use it`,
    'restore it from git (git checkout -- <file>) or re-create it with sops; never edit ENC[...] values or sops metadata by hand',
  );
}

export function notEncrypted(file: string): SopsError {
  return new SopsError(
    'not-encrypted',
    `${file}: not a SOPS-encrypted file (no sops metadata), refusing to treat it as a secret`,
    'encrypt it first (sops encrypt -i <file>) or reference it as a plain value file',
  );
}

export function unknownFormat(name: string): SopsError {
  return new SopsError('unknown-format', `unknown SOPS file format "${name}"`, 'use one of yaml, json, dotenv, ini, binary');
}

export function malformed(file: string, format: string, detail: string): SopsError {
  return new SopsError('malformed', `${file}: malformed ${format}: ${detail}`, `fix the ${format} syntax of the file`);
}

export function unsupported(file: string, detail: string, hint: string): SopsError {
  return new SopsError('unsupported', `${file}: ${detail}`, hint);
}
