/**
 * INI store (sops `stores/ini`, gopkg.in/ini.v1 with its defaults): sections are maps of string
 * values; a comment before a section is that section's first item, a comment before a key follows the
 * key in the tree (sops' order) and is written back before it.
 */
import { malformed } from '../errors.ts';
import { Branch, Comment, type Entry, type Value } from '../tree.ts';
import { scalarToText } from './dotenv.ts';

const DEFAULT_SECTION = 'DEFAULT';

function stripCommentChar(comment: string): string {
  if (comment.startsWith(';')) return comment.replace(/^[; ]+/, '');
  if (comment.startsWith('#')) return comment.replace(/^[# ]+/, '');
  return comment;
}

interface RawSection {
  name: string;
  comment: string;
  keys: { name: string; value: string; comment: string }[];
}

/** ini.v1 `readValue` with default options. `rest` = the remaining lines, for multi-line values. */
function readValue(raw: string, rest: string[], comment: { text: string }, file: string): string {
  const line = raw.replace(/^\s+/, '');
  if (line === '') return '';
  let quote = '';
  if (line.length > 3 && line.startsWith('"""')) quote = '"""';
  else if (line.startsWith('`')) quote = '`';
  if (quote) {
    const body = line.slice(quote.length);
    const pos = body.lastIndexOf(quote);
    if (pos !== -1) return body.slice(0, pos);
    let value = `${body}\n`;
    for (;;) {
      const next = rest.shift();
      if (next === undefined) throw malformed(file, 'INI', `a ${quote}-quoted value is never closed`);
      const end = next.lastIndexOf(quote);
      if (end !== -1) return value + next.slice(0, end);
      value += `${next}\n`;
    }
  }
  let value = line.trim();
  while (value.endsWith('\\')) {
    const next = rest.shift();
    value = value.slice(0, -1) + (next === undefined ? '' : next.trim());
  }
  const hash = value.search(/[#;]/);
  if (hash !== -1) {
    comment.text += value.slice(hash);
    value = value.slice(0, hash).trim();
  }
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) {
    value = value.slice(1, -1);
  }
  return value;
}

export function loadIni(text: string, file: string): Branch {
  const rest = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const sections: RawSection[] = [{ name: DEFAULT_SECTION, comment: '', keys: [] }];
  let current = sections[0];
  const pending = { text: '' };
  while (rest.length) {
    const line = (rest.shift() as string).replace(/^\s+/, '');
    if (line === '') continue;
    if (line[0] === '#' || line[0] === ';') {
      pending.text += `${line}\n`;
      continue;
    }
    if (line[0] === '[') {
      const close = line.lastIndexOf(']');
      if (close === -1) throw malformed(file, 'INI', `a section header after [${current.name}] has no closing ]`);
      const name = line.slice(1, close).trim();
      const existing = sections.find((s) => s.name === name);
      current = existing ?? { name, comment: '', keys: [] };
      if (!existing) sections.push(current);
      current.comment = pending.text.trim();
      pending.text = '';
      continue;
    }
    const delim = line.search(/[=:]/);
    if (delim === -1) throw malformed(file, 'INI', `a line in [${current.name}] is neither key = value nor a section`);
    const name = line.slice(0, delim).trimEnd();
    const value = readValue(line.slice(delim + 1), rest, pending, file);
    const key = { name, value, comment: pending.text.trim() };
    pending.text = '';
    const idx = current.keys.findIndex((k) => k.name === name);
    if (idx === -1) current.keys.push(key);
    else current.keys[idx] = key;
  }
  const items: Entry[] = [];
  for (const s of sections) {
    if (s.name === DEFAULT_SECTION && s.keys.length === 0 && !s.comment) continue;
    const sec: (Entry | Comment)[] = [];
    if (s.comment) sec.push(new Comment(stripCommentChar(s.comment)));
    for (const k of s.keys) {
      sec.push({ key: k.name, value: k.value });
      if (k.comment) sec.push(new Comment(stripCommentChar(k.comment)));
    }
    items.push({ key: s.name, value: new Branch(sec) });
  }
  return new Branch(items);
}

function commentLines(comment: string): string[] {
  return comment.split('\n').map((l) => (l[0] === '#' || l[0] === ';' ? `${l[0]} ${l.slice(1).trim()}` : `; ${l}`));
}

/** ini.v1 `WriteTo` with PrettyFormat: `=` aligned per section, a blank line between sections. */
export function emitIni(branch: Branch, file: string): string {
  const sections = branch.items.filter((i): i is Entry => !(i instanceof Comment));
  const ordered = [...sections.filter((s) => s.key === DEFAULT_SECTION), ...sections.filter((s) => s.key !== DEFAULT_SECTION)];
  const parts: string[] = [];
  for (const section of ordered) {
    let out = '';
    if (!(section.value instanceof Branch)) {
      throw malformed(file, 'INI', `top-level "${section.key}" is not a section`);
    }
    const items = section.value.items;
    let first = 0;
    let sectionComment = '';
    if (items[0] instanceof Comment) {
      sectionComment = items[0].text;
      first = 1;
    }
    const keys: { name: string; value: Value; comment: string }[] = [];
    for (const item of items.slice(first)) {
      if (item instanceof Comment) {
        if (keys.length) keys[keys.length - 1].comment = item.text;
      } else keys.push({ name: item.key, value: item.value, comment: '' });
    }
    const isDefault = section.key === DEFAULT_SECTION;
    if (isDefault && keys.length === 0) continue;
    if (sectionComment)
      out += commentLines(sectionComment)
        .map((l) => `${l}\n`)
        .join('');
    if (!isDefault) out += `[${section.key}]\n`;
    const display = (name: string): string => (name.includes('"') || name.includes('=:') ? `\`${name}\`` : name.includes('`') ? `"""${name}"""` : name);
    const align = Math.max(0, ...keys.map((k) => display(k.name).length));
    for (const k of keys) {
      if (k.value instanceof Branch || Array.isArray(k.value)) {
        throw malformed(file, 'INI', `[${section.key}] ${k.name} holds a nested value, which INI cannot express`);
      }
      if (k.comment)
        out += commentLines(k.comment)
          .map((l) => `${l}\n`)
          .join('');
      let val = scalarToText(k.value);
      if (/[\n`]/.test(val)) val = `"""${val}"""`;
      else if (/[#;]/.test(val)) val = `\`${val}\``;
      else if (val.trim().length !== val.length) val = `"${val}"`;
      const name = display(k.name);
      out += `${name}${' '.repeat(align - name.length)} = ${val}\n`;
    }
    parts.push(out);
  }
  return parts.join('\n');
}
