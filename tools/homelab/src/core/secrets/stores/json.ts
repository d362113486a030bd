/**
 * JSON store (sops `stores/json`): an order-preserving parser (JSON.parse would move integer-like
 * keys such as "10" to the front, and the MAC depends on order) and Go's encoder + json.Indent output.
 */
import { malformed } from '../errors.ts';
import { inInt64, jsonFloat } from '../go-values.ts';
import { Branch, Comment, Float, Int, Time, Verbatim, type Entry, type List, type Value } from '../tree.ts';

class JsonParser {
  private pos = 0;
  private readonly text: string;
  private readonly file: string;

  constructor(text: string, file: string) {
    this.text = text;
    this.file = file;
  }

  private fail(what: string): never {
    const before = this.text.slice(0, this.pos);
    const line = before.split('\n').length;
    const col = this.pos - before.lastIndexOf('\n');
    throw malformed(this.file, 'JSON', `${what} at line ${line}, column ${col}`);
  }

  private ws(): void {
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos])) this.pos++;
  }

  parseDocument(): Branch {
    this.ws();
    if (this.text[this.pos] !== '{') {
      this.fail('the top level must be an object (sops only encrypts JSON objects)');
    }
    const value = this.value();
    this.ws();
    if (this.pos !== this.text.length) this.fail('unexpected data after the top-level object');
    return value as Branch;
  }

  private value(): Value {
    this.ws();
    const c = this.text[this.pos];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return v;
      }
    }
    return this.fail(c === undefined ? 'unexpected end of input' : 'unexpected character');
  }

  private object(): Branch {
    this.pos++;
    const items: Entry[] = [];
    const seen = new Set<string>();
    this.ws();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return new Branch(items);
    }
    for (;;) {
      this.ws();
      if (this.text[this.pos] !== '"') this.fail('expected an object key');
      const key = this.string();
      if (seen.has(key)) this.fail(`duplicate key "${key}"`);
      seen.add(key);
      this.ws();
      if (this.text[this.pos] !== ':') this.fail("expected ':'");
      this.pos++;
      items.push({ key, value: this.value() });
      this.ws();
      const c = this.text[this.pos++];
      if (c === '}') return new Branch(items);
      if (c !== ',') this.fail("expected ',' or '}'");
    }
  }

  private array(): List {
    this.pos++;
    const out: List = [];
    this.ws();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.ws();
      const c = this.text[this.pos++];
      if (c === ']') return out;
      if (c !== ',') this.fail("expected ',' or ']'");
    }
  }

  private string(): string {
    const start = this.pos;
    this.pos++;
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) this.fail('unterminated string');
      if (c === '\\') this.pos += 2;
      else if (c === '"') break;
      else if (c < ' ') this.fail('control character in string');
      else this.pos++;
    }
    this.pos++;
    try {
      return JSON.parse(this.text.slice(start, this.pos)) as string;
    } catch {
      return this.fail('invalid string escape');
    }
  }

  private number(): Int | Float {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.pos, this.pos + 400));
    if (!m) return this.fail('invalid number');
    this.pos += m[0].length;
    // sops >= 3.13.2 (json.Decoder.UseNumber): integer lexemes within int64 are ints, the rest float64.
    if (!m[2] && !m[3]) {
      const v = BigInt(m[0]);
      if (inInt64(v)) return new Int(v);
    }
    return new Float(Number(m[0]));
  }
}

export function loadJson(text: string, file: string): Branch {
  return new JsonParser(text, file).parseDocument();
}

const HEX = '0123456789abcdef';

/** Go encoding/json string escaping (HTML-safe: <, >, & become \u003c…; U+2028/2029 escaped). */
export function goJsonString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || ch === '<' || ch === '>' || ch === '&') out += `\\u00${HEX[c >> 4]}${HEX[c & 15]}`;
    else if (c === 0x2028 || c === 0x2029) out += `\\u202${HEX[c & 15]}`;
    else if (c >= 0xd800 && c <= 0xdfff) out += '\\ufffd';
    else out += ch;
  }
  return `${out}"`;
}

function scalarJson(v: Value): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return goJsonString(v);
  if (v instanceof Uint8Array) return goJsonString(new TextDecoder().decode(v));
  if (v instanceof Int) return v.value.toString();
  if (v instanceof Float) return jsonFloat(v.value);
  if (v instanceof Time) return goJsonString(v.text);
  if (v instanceof Verbatim) return v.text;
  throw new Error('not a scalar');
}

function emitValue(v: Value, indent: string, depth: number): string {
  const nl = (d: number): string => `\n${indent.repeat(d)}`;
  if (v instanceof Branch) {
    const entries = v.items.filter((i): i is Entry => !(i instanceof Comment));
    if (entries.length === 0) return '{}';
    const body = entries.map((e) => `${nl(depth + 1)}${goJsonString(e.key)}: ${emitValue(e.value, indent, depth + 1)}`);
    return `{${body.join(',')}${nl(depth)}}`;
  }
  if (Array.isArray(v)) {
    const items = v.filter((i): i is Value => !(i instanceof Comment));
    if (items.length === 0) return '[]';
    return `[${items.map((i) => `${nl(depth + 1)}${emitValue(i, indent, depth + 1)}`).join(',')}${nl(depth)}]`;
  }
  return scalarJson(v);
}

export interface JsonStyle {
  /** One indentation step: a tab (sops' default) or spaces. */
  indent: string;
  /** sops >= 3.10 ends the file with a newline. */
  trailingNewline: boolean;
}

export const DEFAULT_JSON_STYLE: JsonStyle = { indent: '\t', trailingNewline: true };

export function emitJson(branch: Branch, style: JsonStyle = DEFAULT_JSON_STYLE): string {
  return emitValue(branch, style.indent, 0) + (style.trailingNewline ? '\n' : '');
}

/** The indentation and trailing newline of an existing file, so rewrites keep its layout. */
export function detectJsonStyle(text: string): JsonStyle {
  const m = /\n([ \t]+)"/.exec(text);
  return { indent: m ? m[1] : '\t', trailingNewline: text.endsWith('\n') };
}
