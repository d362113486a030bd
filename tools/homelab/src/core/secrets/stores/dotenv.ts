/**
 * dotenv store (sops `stores/dotenv`): one line per item, `#` comments, key = everything before the
 * first `=` (no trimming, no quotes, no `export`), a literal `\n` in a value is a newline.
 */
import { malformed } from '../errors.ts';
import { Branch, Comment, Float, Int, Time, Verbatim, type Entry, type Value } from '../tree.ts';
import { formatFloatF } from '../go-values.ts';

export function loadDotenv(text: string, file: string): Branch {
  const items: (Entry | Comment)[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    if (line.startsWith('#')) {
      items.push(new Comment(line.slice(1)));
      continue;
    }
    const eq = line.indexOf('=');
    if (eq === -1) throw malformed(file, 'dotenv', `line ${i + 1} has no "=" (expected KEY=value)`);
    items.push({ key: line.slice(0, eq), value: line.slice(eq + 1).replaceAll('\\n', '\n') });
  }
  return new Branch(items);
}

/** sops `stores.ValueToString` for the scalars a dotenv/INI file can hold. */
export function scalarToText(v: Value): string {
  if (typeof v === 'string') return v;
  if (v === null) return '';
  if (typeof v === 'boolean') return String(v);
  if (v instanceof Int) return v.value.toString();
  if (v instanceof Float) return formatFloatF(v.value);
  if (v instanceof Time) return v.text;
  if (v instanceof Verbatim) return v.text;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  throw new Error('complex value');
}

export function emitDotenv(branch: Branch, file: string): string {
  let out = '';
  for (const item of branch.items) {
    if (item instanceof Comment) {
      out += `#${item.text}\n`;
      continue;
    }
    if (item.value instanceof Branch || Array.isArray(item.value)) {
      throw malformed(file, 'dotenv', `"${item.key}" holds a nested value, which dotenv cannot express`);
    }
    out += `${item.key}=${scalarToText(item.value).replaceAll('\n', '\\n')}\n`;
  }
  return out;
}
