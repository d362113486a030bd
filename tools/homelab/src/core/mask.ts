import { createHmac } from 'node:crypto';
import { isMap, isScalar, parseDocument } from 'yaml';

/**
 * The one masker every printed byte passes through (principle 3).
 *
 * - Secret `data`/`stringData` values become `REDACTED<8 hex>`: an HMAC of the value, so the marker is stable
 *   across runs (a diff still shows that a value changed) yet reveals nothing without the mask key (derived
 *   from the age identity in memory). 16 base64-alphabet characters: a masked Secret still has valid `data`.
 * - Every decrypted SOPS value, and its base64 form, is replaced wherever else it appears.
 */
export interface Masker {
  mask(text: string): string;
}

/** Values this short or this generic would mask half of any manifest (`true`, `80`); Secret data is masked anyway. */
function isMaskable(value: string): boolean {
  if (value.length < 4) return false;
  if (/^(true|false|null|yes|no|on|off)$/i.test(value)) return false;
  return !(/^-?\d+(\.\d+)?$/.test(value) && value.length < 6);
}

/** The stable marker that stands for `value` wherever it is masked (Secret data, `secrets view`). */
export function redactionMarker(key: Buffer): (value: string) => string {
  return (value) => `REDACTED${createHmac('sha256', key).update(value).digest('hex').slice(0, 8)}`;
}

export function createMasker(options: { secrets: Iterable<string>; key: Buffer }): Masker {
  const marker = redactionMarker(options.key);
  const literals = new Map<string, string>();
  for (const secret of options.secrets) {
    if (!isMaskable(secret)) continue;
    literals.set(secret, marker(secret));
    const b64 = Buffer.from(secret, 'utf8').toString('base64');
    literals.set(b64, marker(secret));
  }
  // Longest first, so a secret that contains another is replaced whole.
  const pattern = literals.size
    ? new RegExp([...literals.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g')
    : undefined;
  const maskLiterals = (text: string) => (pattern ? text.replace(pattern, (hit) => literals.get(hit) ?? hit) : text);

  return {
    mask(text) {
      return splitDocuments(text)
        .map((doc) => maskLiterals(isSecretDocument(doc) ? maskSecretValues(doc, marker) : doc))
        .join('');
    },
  };
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

function isSecretDocument(doc: string): boolean {
  return /^kind:[ \t]*["']?Secret["']?[ \t]*$/m.test(doc);
}

/** Replaces each value under top-level `data`/`stringData` in place, leaving every other byte as it was. */
function maskSecretValues(doc: string, marker: (value: string) => string): string {
  const parsed = parseDocument(doc, { keepSourceTokens: false });
  if (parsed.errors.length > 0 || !isMap(parsed.contents)) return maskAllValueLines(doc, marker);
  const edits: { start: number; end: number; text: string }[] = [];
  for (const field of ['data', 'stringData']) {
    const node = parsed.contents.get(field, true);
    if (!isMap(node)) continue;
    for (const item of node.items) {
      const value = item.value;
      if (!isScalar(value) || !value.range) continue;
      edits.push({ start: value.range[0], end: value.range[1], text: marker(String(value.value)) });
    }
  }
  let out = doc;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    // A block scalar's range ends after its final line break: keep that break.
    const trailing = /\s*$/.exec(out.slice(edit.start, edit.end))?.[0] ?? '';
    out = out.slice(0, edit.start) + edit.text + trailing + out.slice(edit.end);
  }
  return out;
}

/** Unparseable Secret: mask every `key: value` line rather than risk printing one. */
function maskAllValueLines(doc: string, marker: (value: string) => string): string {
  return doc.replace(/^(\s+[\w.-]+:[ \t]+)(.+)$/gm, (_line, head: string, value: string) => head + marker(value));
}
