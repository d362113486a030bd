import { createHmac } from 'node:crypto';
import { maskInlineSecrets, maskSecretObjects, SecretLines, type DataEntry } from './mask-secret-data.ts';

/**
 * The one masker every printed byte passes through.
 *
 * - Secret `data`/`stringData` values are always masked whole, whatever they hold and however the Secret is
 *   printed: YAML, JSON, a List, helm's dry-run report, a diff (mask-secret-data.ts).
 * - A decrypted value that could not be a name or a word (`isMaskableAnywhere`) is also replaced wherever it
 *   appears, in every form a tool prints it (`printedForms`). A short or name-like one (`admin`, `monitoring`) is
 *   not: it would rewrite names, namespaces and labels, and its marker would tell which visible word it equals.
 * - A marker is `REDACTED<8 hex>`, an HMAC keyed from the age identity: stable across runs (a diff still shows
 *   that a value changed), meaningless without the key, and 16 base64 characters, so a masked `data` stays valid.
 */
export interface Masker {
  /** A whole text: a render, a file, an error line. */
  mask(text: string): string;
  /** A masker for one tool's output read line by line: it remembers which Secret's data it is in. */
  lines(): (line: string) => string;
}

const NAME_LIKE = /^[a-z0-9]+(?:[-.][a-z0-9]+)*$/;

/**
 * Masked wherever it appears: at least 16 characters, or 8 that are not shaped like a name, namespace, label or
 * hostname (lowercase, digits, `-`, `.`, at most 3 digits). Fewer than 5 distinct characters never: `0000…` or
 * spaces would hit what is no secret.
 */
export function isMaskableAnywhere(value: string): boolean {
  if (value.length < 8 || new Set(value).size < 5) return false;
  return value.length >= 16 || !NAME_LIKE.test(value) || (value.match(/\d/g)?.length ?? 0) > 3;
}

/** The stable marker that stands for `value` wherever it is masked (Secret data, `secrets view`). */
export function redactionMarker(key: Buffer): (value: string | Buffer) => string {
  return (value) => `REDACTED${createHmac('sha256', key).update(value).digest('hex').slice(0, 8)}`;
}

export function createMasker(options: { secrets: Iterable<string>; key: Buffer }): Masker {
  const marker = redactionMarker(options.key);
  const literals = new Map<string, string>();
  for (const secret of options.secrets) {
    // A multi-line value (a PEM key) also prints line by line.
    for (const part of [secret, ...secret.split('\n').map((line) => line.trim())]) {
      if (!isMaskableAnywhere(part)) continue;
      for (const form of printedForms(part)) if (!literals.has(form)) literals.set(form, marker(secret));
    }
  }
  // Longest first, so a secret that contains another is replaced whole.
  const pattern = literals.size
    ? new RegExp(
        [...literals.keys()]
          .sort((a, b) => b.length - a.length)
          .map(escapeRegExp)
          .join('|'),
        'g',
      )
    : undefined;
  const maskLiterals = (text: string) => (pattern ? text.replace(pattern, (hit) => literals.get(hit) ?? hit) : text);

  const dataMarker = ({ field, secret, key, value }: DataEntry) => {
    const bytes = (field === 'data' && decodeBase64(value)) || Buffer.from(value, 'utf8');
    if (isMaskableAnywhere(bytes.toString('utf8'))) return marker(bytes);
    // Bound to its Secret and key: equal to no marker elsewhere, so it cannot point at a visible word.
    return marker(Buffer.concat([Buffer.from(`${secret}\0${key}\0`), bytes]));
  };

  return {
    mask(text) {
      const masked = splitDocuments(text).map((doc) => {
        // No Secret can be in a document that never says so.
        if (!doc.includes('Secret')) return doc;
        const objects = maskSecretObjects(doc, dataMarker);
        if (objects !== undefined)
          return objects
            .split('\n')
            .map((line) => maskInlineSecrets(line, dataMarker))
            .join('\n');
        const reader = new SecretLines(dataMarker);
        return doc
          .split('\n')
          .map((line) => reader.next(line))
          .join('\n');
      });
      return maskLiterals(masked.join(''));
    },
    lines() {
      const reader = new SecretLines(dataMarker);
      return (line) => maskLiterals(reader.next(line));
    },
  };
}

/**
 * Every way a tool prints `value`: raw; JSON-escaped (also Go's HTML-safe `\u003c` escaping, and escaped twice
 * for JSON inside JSON); URL-encoded (JavaScript's, RFC 3986's, form `+`, lowercase hex); base64 and base64url,
 * whole and at each of the three byte alignments it can have inside a longer encoding (`user:token`).
 */
function printedForms(value: string): string[] {
  const json = (text: string) => JSON.stringify(text).slice(1, -1);
  const goJson = json(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const rfc3986 = encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const bytes = Buffer.from(value, 'utf8');
  const forms = [value, json(value), goJson, json(json(value)), encodeURIComponent(value), rfc3986, rfc3986.replace(/%20/g, '+')];
  forms.push(
    rfc3986.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()),
    bytes.toString('base64'),
  );
  for (const fragment of base64Fragments(bytes)) forms.push(fragment, fragment.replace(/\+/g, '-').replace(/\//g, '_'));
  return forms;
}

/**
 * The base64 characters that depend on `bytes` alone when they sit at offset 0, 1 or 2 (mod 3) of a longer
 * input: the characters shared with the bytes before or after are left out.
 */
function base64Fragments(bytes: Buffer): string[] {
  return [0, 1, 2].map((shift) => {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes])
      .toString('base64')
      .replace(/=+$/, '');
    return encoded.slice([0, 2, 3][shift], (shift + bytes.length) % 3 ? -1 : undefined);
  });
}

/** The bytes a Secret's `data` value stands for; undefined when it is not canonical base64. */
function decodeBase64(value: string): Buffer | undefined {
  const compact = value.replace(/\s+/g, '');
  const bytes = Buffer.from(compact, 'base64');
  return bytes.length > 0 && bytes.toString('base64') === compact ? bytes : undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Splits a multi-document stream into chunks that concatenate back to the input (separators stay attached). */
function splitDocuments(text: string): string[] {
  const chunks: string[] = [];
  let start = 0;
  for (const match of text.matchAll(/^---[ \t]*(?:\r?\n|$)/gm)) {
    if (match.index > start) chunks.push(text.slice(start, match.index));
    start = match.index;
  }
  chunks.push(text.slice(start));
  return chunks;
}
