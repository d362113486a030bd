/**
 * sops `Tree.shouldBeEncrypted`: the one rule of a file, evaluated on every path component (not only
 * the last), or on the comments seen so far for the comment-regex rules.
 */
import { compileRE2 } from '../model/re2.ts';
import { unsupported } from './errors.ts';
import type { EncryptionRule } from './metadata.ts';

/**
 * Compile a Go RE2 pattern with RE2 itself (re2-wasm): a JS translation reads `[[:digit:]]`, `\pL`
 * and friends differently, which could leave in plaintext a value sops would encrypt.
 */
export function goRegExp(pattern: string, file: string): { test(input: string): boolean } {
  try {
    return compileRE2(pattern, 'u');
  } catch {
    throw unsupported(file, `the encryption regex ${JSON.stringify(pattern)} is not valid RE2`, 'fix the regex in .sops.yaml and re-encrypt with sops');
  }
}

export type EncryptPredicate = (keys: readonly string[], commentStack: readonly string[][], isComment: boolean) => boolean;

export function encryptPredicate(rule: EncryptionRule, file: string): EncryptPredicate {
  const { kind, value } = rule;
  switch (kind) {
    case 'unencrypted_suffix':
      return (keys) => !keys.some((k) => k.endsWith(value));
    case 'encrypted_suffix':
      return (keys) => keys.some((k) => k.endsWith(value));
    case 'unencrypted_regex': {
      const re = goRegExp(value, file);
      return (keys) => !keys.some((k) => re.test(k));
    }
    case 'encrypted_regex': {
      const re = goRegExp(value, file);
      return (keys) => keys.some((k) => re.test(k));
    }
    case 'unencrypted_comment_regex': {
      const re = goRegExp(value, file);
      return (_keys, stack) => !stack.some((level) => level.some((c) => re.test(c)));
    }
    case 'encrypted_comment_regex': {
      const re = goRegExp(value, file);
      return (_keys, stack, isComment) =>
        stack.some((level, i) =>
          level.some((c, j) => {
            // The matching comment line itself stays in clear text.
            if (isComment && i === stack.length - 1 && j === level.length - 1) return false;
            return re.test(c);
          }),
        );
    }
  }
}
