/**
 * sops `Tree.shouldBeEncrypted`: the one rule of a file, evaluated on every path component (not only
 * the last), or on the comments seen so far for the comment-regex rules.
 */
import { unsupported } from './errors.ts';
import type { EncryptionRule } from './metadata.ts';

/**
 * Translate a Go RE2 pattern to a JS RegExp. Leading inline flags `(?ims)` become JS flags, `(?P<n>`
 * becomes `(?<n>`, `\A`/`\z` become `^`/`$`. Anything JS would read differently is refused.
 */
export function goRegExp(pattern: string, file: string): RegExp {
  let src = pattern;
  let flags = '';
  const lead = /^\(\?([ims]+)\)/.exec(src);
  if (lead) {
    flags = [...new Set(lead[1])].join('');
    src = src.slice(lead[0].length);
  }
  const refuse = (): never => {
    throw unsupported(file, `the encryption regex ${JSON.stringify(pattern)} uses RE2 syntax JavaScript cannot mirror`, 'simplify the regex in .sops.yaml and re-encrypt with sops');
  };
  if (/\(\?[a-zA-Z-]+[:)]/.test(src)) refuse();
  src = src.replace(/\(\?P</g, '(?<').replace(/\\A/g, '^').replace(/\\z/g, '$');
  try {
    return new RegExp(src, `${flags}u`);
  } catch {
    try {
      return new RegExp(src, flags);
    } catch {
      return refuse();
    }
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
