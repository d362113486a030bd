/**
 * The functions ArgoCD gives ApplicationSet Go templates: sprig v3's generic function map (minus env, expandenv and
 * getHostByName, which ArgoCD deletes) plus normalize, slugify, toYaml, fromYaml and fromYamlArray. Each keeps sprig's
 * argument order, Go parameter types (checked by the executor: `indent` wants an int, so a float64 parameter from
 * JSON is an error there as in Go) and quirks (`split` returns `_0`, `_1` keys; `get` of a missing key is "";
 * `default` treats 0, "" and empty collections as unset). Functions that are not deterministic (dates, random,
 * crypto keys) or not implemented are named in UNSUPPORTED and refused at parse time.
 */

import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { RE2, RE2ExecArray } from 're2-wasm';
import { compileRE2 } from '../../model/re2.ts';
import { stringify } from 'yaml';
import { parseRange, parseVersion, satisfies } from '../../helm/semver.ts';
import { errorLine } from '../../model/errors.ts';
import { parseYamlDocuments } from '../../workspace/yaml-docs.ts';
import { goQuote } from './go-fmt.ts';
import { formatValue, goKind, isMap, marshalJson, TemplateError, toPlain, type GoMap } from './go-values.ts';

/** Go parameter types: `any` is interface{} (nil for a missing value), `value` a raw reflect.Value (builtins). */
export type Param = 'any' | 'value' | 'string' | 'int' | 'float' | 'bool' | 'map';
export interface GoFunc {
  params: Param[];
  variadic?: Param;
  // biome-ignore lint/suspicious/noExplicitAny: arguments arrive already checked against `params`
  fn: (...args: any[]) => unknown;
}

const fn = (params: Param[], f: GoFunc['fn'], variadic?: Param): GoFunc => ({ params, fn: f, variadic });

/** sprig's empty: nil, false, 0, "" and empty collections. */
export function empty(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === '' || v === 0 || v === 0n) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isMap(v)) return Object.keys(v).length === 0;
  return false;
}

/** sprig's strval: fmt's %v of anything but a string. */
function strval(v: unknown): string {
  return typeof v === 'string' ? v : formatValue(v);
}

function strslice(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x) => x !== null && x !== undefined).map(strval);
  return v === null || v === undefined ? [] : [strval(v)];
}

/** spf13/cast ToInt64: numbers truncate, strings parse (base prefixes, "1.0"), anything else is 0. */
function toInt64(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v !== 'string') return 0n;
  const s = /^[+-]?\d+\.0*$/.test(v) ? v.replace(/\.0*$/, '') : v;
  const m = s.match(/^([+-]?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO]?[0-7]+|[1-9]\d*|0)$/);
  if (!m) return 0n;
  const body = m[2].replace(/^0(?=[0-7])/, '0o');
  return BigInt.asIntN(64, m[1] === '-' ? -BigInt(body) : BigInt(body));
}

function toFloat64(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(Inf|inf|NaN)$/.test(v.trim())) return Number(v.replace(/inf/i, 'Infinity'));
  return 0;
}

const int64 = (x: bigint): bigint => BigInt.asIntN(64, x);

/** Operands as int64, ascending (max and min; Math.max has no bigint form). */
function sortedInts(xs: unknown[]): bigint[] {
  return xs.map(toInt64).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function list(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new TemplateError(`Cannot ${what} on type ${goKind(v) === 'invalid' ? 'nil' : goKind(v)}`);
  return v;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** mergo.Merge (overwrite false: only empty destination values are filled) and MergeWithOverwrite, deep on maps. */
function mergeInto(dst: GoMap, src: GoMap, overwrite: boolean): GoMap {
  for (const [k, sv] of Object.entries(src)) {
    const dv = dst[k];
    if (isMap(dv) && isMap(sv)) mergeInto(dv, sv, overwrite);
    else if (!Object.hasOwn(dst, k) || (overwrite ? !empty(sv) : empty(dv))) dst[k] = sv;
  }
  return dst;
}

function mapArg(v: unknown, name: string): GoMap {
  if (v === null) throw new TemplateError(`assignment to entry in nil map (${name})`);
  return v as GoMap;
}

const regexCache = new Map<string, RE2>();
function re2(pattern: string): RE2 {
  let re = regexCache.get(pattern);
  if (!re) {
    try {
      re = compileRE2(pattern, 'gu');
    } catch (err) {
      throw new TemplateError(`regexp: Compile(${goQuote(pattern)}): ${(err as Error).message}`);
    }
    regexCache.set(pattern, re);
  }
  re.lastIndex = 0;
  return re;
}

/** Go's FindAll: successive non-overlapping matches; an empty match right after the previous match is skipped. */
function findAll(pattern: string, s: string, n: bigint | number = -1): RE2ExecArray[] {
  const re = re2(pattern);
  const out: RE2ExecArray[] = [];
  let prevEnd = -1;
  for (let m = re.exec(s); m && (n < 0 || out.length < n); m = re.exec(s)) {
    if (m[0] === '') {
      re.lastIndex = m.index + (s.codePointAt(m.index)! > 0xffff ? 2 : 1);
      if (m.index === prevEnd) continue;
    }
    out.push(m);
    prevEnd = m.index + (m[0] ?? '').length;
    if (m.index >= s.length) break;
  }
  return out;
}

/** Go's Regexp.Expand: `$1`, `${1}`, `$name`, `${name}`, `$$`. */
function expand(template: string, m: RE2ExecArray): string {
  return template.replace(/\$(\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g, (all, _, braced?: string, bare?: string) => {
    if (all === '$$') return '$';
    const name = braced ?? bare!;
    if (/^\d+$/.test(name)) return m[Number(name)] ?? '';
    return m.groups?.[name] ?? '';
  });
}

function replaceAll(pattern: string, s: string, repl: (m: RE2ExecArray) => string): string {
  let out = '';
  let last = 0;
  for (const m of findAll(pattern, s)) {
    out += s.slice(last, m.index) + repl(m);
    last = m.index + (m[0] ?? '').length;
  }
  return out + s.slice(last);
}

/** Go's Regexp.Split: up to n pieces; an empty match at the start splits nothing, one at the end adds no piece. */
function regexSplit(pattern: string, s: string, n: bigint): string[] {
  if (n === 0n) return [];
  if (pattern.length > 0 && s.length === 0) return [''];
  const out: string[] = [];
  let beg = 0;
  let end = 0;
  for (const m of findAll(pattern, s, n)) {
    if (n > 0n && BigInt(out.length) === n - 1n) break;
    end = m.index;
    const matchEnd = m.index + (m[0] ?? '').length;
    if (matchEnd !== 0) out.push(s.slice(beg, end));
    beg = matchEnd;
  }
  if (end !== s.length) out.push(s.slice(beg));
  return out;
}

/** Go string slicing is by UTF-8 byte; out-of-range slices panic. */
function byteSlice(s: string, start: number, end: number): string {
  const bytes = Buffer.from(s);
  if (start < 0 || end > bytes.length || start > end) throw new TemplateError(`slice bounds out of range [${start}:${end}] with length ${bytes.length}`);
  return bytes.subarray(start, end).toString();
}

function goTitle(s: string): string {
  return s.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_, sep: string, ch: string) => sep + ch.toUpperCase());
}

function goSplitN(s: string, sep: string, n: number): string[] {
  if (n === 0) return [];
  const parts = sep === '' ? [...s] : s.split(sep);
  if (n < 0 || parts.length <= n) return parts;
  return [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

function goTrim(s: string, cutset: string): string {
  const set = new Set([...cutset]);
  const chars = [...s];
  let a = 0;
  let b = chars.length;
  while (a < b && set.has(chars[a])) a++;
  while (b > a && set.has(chars[b - 1])) b--;
  return chars.slice(a, b).join('');
}

function decodeBase(text: string, encoding: 'base64' | 'base32'): string {
  const valid = encoding === 'base64' ? /^[A-Za-z0-9+/]*={0,2}$/ : /^[A-Z2-7]*=*$/;
  const blocks = encoding === 'base64' ? 4 : 8;
  if (!valid.test(text) || text.length % blocks !== 0) {
    const at = [...text].findIndex((c) => !(encoding === 'base64' ? /[A-Za-z0-9+/=]/ : /[A-Z2-7=]/).test(c));
    return `illegal ${encoding} data at input byte ${at < 0 ? text.length - (text.length % blocks) : at}`;
  }
  if (encoding === 'base64') return Buffer.from(text, 'base64').toString();
  let bits = '';
  for (const c of text.replace(/=+$/, '')) bits += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(c).toString(2).padStart(5, '0');
  const bytes = bits.match(/.{8}/g)?.map((b) => Number.parseInt(b, 2)) ?? [];
  return Buffer.from(bytes).toString();
}

function base32(text: string): string {
  const bytes = Buffer.from(text);
  let bits = '';
  for (const b of bytes) bits += b.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i < bits.length; i += 5) out += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[Number.parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  return out.padEnd(Math.ceil(out.length / 8) * 8, '=');
}

function adler32(text: string): string {
  let a = 1;
  let b = 0;
  for (const byte of Buffer.from(text)) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return String(b * 65536 + a);
}

// Constants: every generated Application's path.basenameNormalized goes through here (replace resets lastIndex).
const NOT_NAME_CHARACTERS = /[^-a-z0-9.]/g;
const EDGE_DOTS_AND_DASHES = /^[-.]+|[-.]+$/g;

/** ArgoCD's SanitizeName (`basenameNormalized`, `normalize`): lowercase DNS-1123-ish name. */
export function sanitizeName(name: string): string {
  return name.toLowerCase().replace(NOT_NAME_CHARACTERS, '-').slice(0, 253).replace(EDGE_DOTS_AND_DASHES, '');
}

/** ArgoCD's slugify: SanitizeName, then gosimple/slug (only ASCII is left) with its smart truncation. */
function slugify(...args: unknown[]): string {
  const name = args.length > 0 ? args[args.length - 1] : '';
  const max = args.length > 1 ? Number(args[0]) : 50;
  const smart = args.length > 2 ? args[1] === true : true;
  if (typeof name !== 'string') throw new TemplateError('slugify: the name must be a string');
  if (args.length > 1 && typeof args[0] !== 'bigint') throw new TemplateError('slugify: the maximum length must be an int');
  let slug = sanitizeName(name)
    .replace(/[^a-z0-9-_]/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '');
  if (max > 0 && slug.length > max) {
    // Smart truncation cuts at the last dash within the limit; either way the result is trimmed of dashes again.
    const cut = smart ? slug.lastIndexOf('-', max) : -1;
    slug = slug.slice(0, cut >= 0 ? cut : max).replace(/^[-_]+|[-_]+$/g, '');
  }
  return slug;
}

/** sigs.k8s.io/yaml's Marshal: through JSON, keys sorted, no trailing newline. */
function toYaml(v: unknown): string {
  const plain = toPlain(v);
  return stringify(plain, { version: '1.1', sortMapEntries: true, indentSeq: false, lineWidth: 0 }).replace(/\n$/, '');
}

function fromYaml(text: string, want: 'map' | 'list'): unknown {
  let docs: unknown[];
  try {
    docs = parseYamlDocuments(text, 'fromYaml');
  } catch (err) {
    throw new TemplateError(errorLine(err));
  }
  // An empty document unmarshals to an empty map or list; numbers stay float64 (Go goes YAML → JSON → interface{}).
  const data = docs[0] ?? (want === 'map' ? {} : []);
  if (want === 'map' ? !isMap(data) : !Array.isArray(data)) {
    const got = Array.isArray(data) ? 'array' : isMap(data) ? 'object' : typeof data;
    throw new TemplateError(
      `error unmarshaling JSON: json: cannot unmarshal ${got} into Go value of type ${want === 'map' ? 'map[string]interface {}' : '[]interface {}'}`,
    );
  }
  return data;
}

function semverCompare(constraint: string, version: string): boolean {
  const range = parseRange(constraint);
  if (!range) throw new TemplateError(`improper constraint: ${constraint}`);
  const v = parseVersion(version);
  if (!v) throw new TemplateError('invalid semantic version');
  return satisfies(v, range);
}

function until(start: bigint, stop: bigint, step: bigint): bigint[] {
  const out: bigint[] = [];
  if (step === 0n || (stop < start && step > 0n) || (stop > start && step < 0n)) return out;
  for (let i = start; step > 0n ? i < stop : i > stop; i += step) out.push(i);
  return out;
}

function slice(l: unknown, ...indices: unknown[]): unknown {
  const items = list(l, 'slice');
  const from = indices.length > 0 ? Number(toInt64(indices[0])) : 0;
  const to = indices.length > 1 ? Number(toInt64(indices[1])) : items.length;
  if (from < 0 || to > items.length || from > to) throw new TemplateError(`reflect: slice index out of range`);
  return items.slice(from, to);
}

function dig(...args: unknown[]): unknown {
  if (args.length < 3) throw new TemplateError('dig needs at least three arguments');
  let dict = args[args.length - 1];
  const fallback = args[args.length - 2];
  const keys = args.slice(0, -2);
  for (const [i, key] of keys.entries()) {
    if (!isMap(dict)) throw new TemplateError(`interface conversion: interface {} is ${goKind(dict)}, not map[string]interface {}`);
    if (!Object.hasOwn(dict, String(key))) return fallback;
    if (i === keys.length - 1) return dict[String(key)];
    dict = dict[String(key)];
  }
  return fallback;
}

function chunk(size: bigint, l: unknown): unknown[][] {
  const items = list(l, 'chunk');
  const out: unknown[][] = [];
  for (let i = 0; i < items.length; i += Number(size)) out.push(items.slice(i, i + Number(size)));
  return out;
}

function round(a: unknown, places: bigint, ...opt: unknown[]): number {
  const on = opt.length > 0 ? toFloat64(opt[0]) : 0.5;
  const pow = 10 ** Number(places);
  const digit = pow * toFloat64(a);
  const frac = digit - Math.trunc(digit);
  return (frac >= on ? Math.ceil(digit) : Math.floor(digit)) / pow;
}

const must = (name: string, f: GoFunc): [string, GoFunc][] => [
  [name, f],
  [`must${name[0].toUpperCase()}${name.slice(1)}`, f],
];

export const SPRIG: Record<string, GoFunc> = {
  hello: fn([], () => 'Hello!'),
  // Strings
  trunc: fn(['int', 'string'], (c: bigint, s: string) =>
    c < 0n && s.length + Number(c) > 0 ? s.slice(s.length + Number(c)) : c >= 0n && s.length > c ? s.slice(0, Number(c)) : s,
  ),
  trim: fn(['string'], (s: string) => s.trim()),
  upper: fn(['string'], (s: string) => s.toUpperCase()),
  lower: fn(['string'], (s: string) => s.toLowerCase()),
  title: fn(['string'], goTitle),
  substr: fn(['int', 'int', 'string'], (start: bigint, end: bigint, s: string) => {
    const len = Buffer.byteLength(s);
    if (start < 0n) return byteSlice(s, 0, Number(end));
    if (end < 0n || end > len) return byteSlice(s, Number(start), len);
    return byteSlice(s, Number(start), Number(end));
  }),
  repeat: fn(['int', 'string'], (count: bigint, s: string) => {
    if (count < 0n) throw new TemplateError('strings: negative Repeat count');
    return s.repeat(Number(count));
  }),
  trimall: fn(['string', 'string'], (cutset: string, s: string) => goTrim(s, cutset)),
  trimAll: fn(['string', 'string'], (cutset: string, s: string) => goTrim(s, cutset)),
  trimSuffix: fn(['string', 'string'], (suffix: string, s: string) => (suffix !== '' && s.endsWith(suffix) ? s.slice(0, -suffix.length) : s)),
  trimPrefix: fn(['string', 'string'], (prefix: string, s: string) => (s.startsWith(prefix) ? s.slice(prefix.length) : s)),
  nospace: fn(['string'], (s: string) => s.replace(/\s+/gu, '')),
  contains: fn(['string', 'string'], (sub: string, s: string) => s.includes(sub)),
  hasPrefix: fn(['string', 'string'], (p: string, s: string) => s.startsWith(p)),
  hasSuffix: fn(['string', 'string'], (p: string, s: string) => s.endsWith(p)),
  quote: fn(
    [],
    (...args: unknown[]) =>
      args
        .filter((a) => a !== null)
        .map((a) => goQuote(strval(a)))
        .join(' '),
    'any',
  ),
  squote: fn(
    [],
    (...args: unknown[]) =>
      args
        .filter((a) => a !== null)
        .map((a) => `'${formatValue(a)}'`)
        .join(' '),
    'any',
  ),
  cat: fn(
    [],
    (...args: unknown[]) =>
      args
        .filter((a) => a !== null)
        .map(formatValue)
        .join(' '),
    'any',
  ),
  indent: fn(['int', 'string'], (n: bigint, s: string) => ' '.repeat(Number(n)) + s.replaceAll('\n', `\n${' '.repeat(Number(n))}`)),
  nindent: fn(['int', 'string'], (n: bigint, s: string) => `\n${' '.repeat(Number(n))}${s.replaceAll('\n', `\n${' '.repeat(Number(n))}`)}`),
  replace: fn(['string', 'string', 'string'], (from: string, to: string, s: string) =>
    from === '' ? to + [...s].map((c) => c + to).join('') : s.replaceAll(from, to),
  ),
  plural: fn(['string', 'string', 'int'], (one: string, many: string, n: bigint) => (n === 1n ? one : many)),
  sha1sum: fn(['string'], (s: string) => createHash('sha1').update(s).digest('hex')),
  sha256sum: fn(['string'], (s: string) => createHash('sha256').update(s).digest('hex')),
  sha512sum: fn(['string'], (s: string) => createHash('sha512').update(s).digest('hex')),
  adler32sum: fn(['string'], adler32),
  toString: fn(['any'], strval),
  atoi: fn(['string'], (s: string) => (/^[+-]?\d+$/.test(s) ? int64(BigInt(s)) : 0n)),
  int64: fn(['any'], toInt64),
  int: fn(['any'], toInt64),
  float64: fn(['any'], toFloat64),
  split: fn(['string', 'string'], (sep: string, s: string) => Object.fromEntries(goSplitN(s, sep, -1).map((part, i) => [`_${i}`, part]))),
  splitList: fn(['string', 'string'], (sep: string, s: string) => goSplitN(s, sep, -1)),
  splitn: fn(['string', 'int', 'string'], (sep: string, n: bigint, s: string) =>
    Object.fromEntries(goSplitN(s, sep, Number(n)).map((part, i) => [`_${i}`, part])),
  ),
  toStrings: fn(['any'], strslice),
  until: fn(['int'], (n: bigint) => until(0n, n, n < 0n ? -1n : 1n)),
  untilStep: fn(['int', 'int', 'int'], until),
  // Integer arithmetic (sprig converts every operand to int64)
  add1: fn(['any'], (i: unknown) => int64(toInt64(i) + 1n)),
  add: fn([], (...xs: unknown[]) => int64(xs.reduce<bigint>((a, b) => a + toInt64(b), 0n)), 'any'),
  sub: fn(['any', 'any'], (a: unknown, b: unknown) => int64(toInt64(a) - toInt64(b))),
  div: fn(['any', 'any'], (a: unknown, b: unknown) => {
    if (toInt64(b) === 0n) throw new TemplateError('runtime error: integer divide by zero');
    return toInt64(a) / toInt64(b);
  }),
  mod: fn(['any', 'any'], (a: unknown, b: unknown) => {
    if (toInt64(b) === 0n) throw new TemplateError('runtime error: integer divide by zero');
    return toInt64(a) % toInt64(b);
  }),
  mul: fn(['any'], (a: unknown, ...xs: unknown[]) => int64(xs.reduce<bigint>((acc, b) => acc * toInt64(b), toInt64(a))), 'any'),
  max: fn(['any'], (...xs: unknown[]) => sortedInts(xs).at(-1), 'any'),
  biggest: fn(['any'], (...xs: unknown[]) => sortedInts(xs).at(-1), 'any'),
  min: fn(['any'], (...xs: unknown[]) => sortedInts(xs)[0], 'any'),
  maxf: fn(['any'], (a: unknown, ...xs: unknown[]) => Math.max(toFloat64(a), ...xs.map(toFloat64)), 'any'),
  minf: fn(['any'], (a: unknown, ...xs: unknown[]) => Math.min(toFloat64(a), ...xs.map(toFloat64)), 'any'),
  ceil: fn(['any'], (a: unknown) => Math.ceil(toFloat64(a))),
  floor: fn(['any'], (a: unknown) => Math.floor(toFloat64(a))),
  round: fn(['any', 'int'], round, 'float'),
  join: fn(['string', 'any'], (sep: string, v: unknown) => strslice(v).join(sep)),
  sortAlpha: fn(['any'], (v: unknown) => (Array.isArray(v) ? strslice(v).sort() : [strval(v)])),
  // Defaults
  default: fn(['any'], (d: unknown, ...given: unknown[]) => (given.length === 0 || empty(given[0]) ? d : given[0]), 'any'),
  empty: fn(['any'], empty),
  coalesce: fn([], (...xs: unknown[]) => xs.find((x) => !empty(x)) ?? null, 'any'),
  all: fn([], (...xs: unknown[]) => xs.every((x) => !empty(x)), 'any'),
  any: fn([], (...xs: unknown[]) => xs.some((x) => !empty(x)), 'any'),
  ...Object.fromEntries(
    must(
      'compact',
      fn(['any'], (l: unknown) => list(l, 'compact').filter((x) => !empty(x))),
    ),
  ),
  fromJson: fn(['string'], (s: string) => {
    try {
      return JSON.parse(s);
    } catch {
      return null;
    }
  }),
  mustFromJson: fn(['string'], (s: string) => {
    try {
      return JSON.parse(s);
    } catch (err) {
      throw new TemplateError((err as Error).message);
    }
  }),
  toJson: fn(['any'], (v: unknown) => {
    try {
      return marshalJson(v);
    } catch {
      return '';
    }
  }),
  mustToJson: fn(['any'], (v: unknown) => marshalJson(v)),
  ...Object.fromEntries(
    must(
      'toPrettyJson',
      fn(['any'], (v: unknown) => marshalJson(v, { indent: '  ' })),
    ),
  ),
  ...Object.fromEntries(
    must(
      'toRawJson',
      fn(['any'], (v: unknown) => marshalJson(v, { raw: true })),
    ),
  ),
  ternary: fn(['any', 'any', 'bool'], (t: unknown, f: unknown, cond: boolean) => (cond ? t : f)),
  ...Object.fromEntries(
    must(
      'deepCopy',
      fn(['any'], (v: unknown) => structuredClone(v)),
    ),
  ),
  // Reflection
  kindOf: fn(['any'], goKind),
  kindIs: fn(['string', 'any'], (kind: string, v: unknown) => goKind(v) === kind),
  deepEqual: fn(['any', 'any'], deepEqual),
  // Paths (Linux: the os* variants are the same)
  ...Object.fromEntries(
    (
      [
        ['base', (p: string) => (p === '' ? '.' : posix.basename(p) || '/')],
        ['dir', (p: string) => goClean(p.slice(0, p.lastIndexOf('/') + 1))],
        ['clean', goClean],
        ['ext', (p: string) => /\.[^./]*$/.exec(p)?.[0] ?? ''],
        ['isAbs', (p: string) => p.startsWith('/')],
      ] as const
    ).flatMap(([name, f]) => [
      [name, fn(['string'], f)],
      [`os${name[0].toUpperCase()}${name.slice(1)}`, fn(['string'], f)],
    ]),
  ),
  // Encoding
  b64enc: fn(['string'], (s: string) => Buffer.from(s).toString('base64')),
  b64dec: fn(['string'], (s: string) => decodeBase(s, 'base64')),
  b32enc: fn(['string'], base32),
  b32dec: fn(['string'], (s: string) => decodeBase(s, 'base32')),
  // Dictionaries and lists
  tuple: fn([], (...xs: unknown[]) => xs, 'any'),
  list: fn([], (...xs: unknown[]) => xs, 'any'),
  dict: fn(
    [],
    (...xs: unknown[]) => {
      const d: GoMap = {};
      for (let i = 0; i < xs.length; i += 2) d[strval(xs[i])] = i + 1 < xs.length ? xs[i + 1] : '';
      return d;
    },
    'any',
  ),
  get: fn(['map', 'string'], (d: GoMap | null, k: string) => (d && Object.hasOwn(d, k) ? d[k] : '')),
  set: fn(['map', 'string', 'any'], (d: GoMap | null, k: string, v: unknown) => {
    mapArg(d, 'set')[k] = v;
    return d;
  }),
  unset: fn(['map', 'string'], (d: GoMap | null, k: string) => {
    if (d) delete d[k];
    return d;
  }),
  hasKey: fn(['map', 'string'], (d: GoMap | null, k: string) => d !== null && Object.hasOwn(d, k)),
  pluck: fn(['string'], (k: string, ...ds: (GoMap | null)[]) => ds.filter((d) => d && Object.hasOwn(d, k)).map((d) => d![k]), 'map'),
  // Go map order is random; sorted is one of the orders ArgoCD can produce, and the same every run.
  keys: fn([], (...ds: (GoMap | null)[]) => ds.flatMap((d) => Object.keys(d ?? {}).sort()), 'map'),
  pick: fn(['map'], (d: GoMap | null, ...ks: string[]) => Object.fromEntries(ks.filter((k) => d && Object.hasOwn(d, k)).map((k) => [k, d![k]])), 'string'),
  omit: fn(['map'], (d: GoMap | null, ...ks: string[]) => Object.fromEntries(Object.entries(d ?? {}).filter(([k]) => !ks.includes(k))), 'string'),
  ...Object.fromEntries(
    must(
      'merge',
      fn(['map'], (d: GoMap | null, ...srcs: (GoMap | null)[]) => srcs.reduce<GoMap>((acc, s) => mergeInto(acc, s ?? {}, false), mapArg(d, 'merge')), 'map'),
    ),
  ),
  ...Object.fromEntries(
    must(
      'mergeOverwrite',
      fn(
        ['map'],
        (d: GoMap | null, ...srcs: (GoMap | null)[]) => srcs.reduce<GoMap>((acc, s) => mergeInto(acc, s ?? {}, true), mapArg(d, 'mergeOverwrite')),
        'map',
      ),
    ),
  ),
  values: fn(['map'], (d: GoMap | null) =>
    Object.keys(d ?? {})
      .sort()
      .map((k) => d![k]),
  ),
  ...Object.fromEntries([
    ...must(
      'append',
      fn(['any', 'any'], (l: unknown, v: unknown) => [...list(l, 'push'), v]),
    ),
    ...must(
      'push',
      fn(['any', 'any'], (l: unknown, v: unknown) => [...list(l, 'push'), v]),
    ),
    ...must(
      'prepend',
      fn(['any', 'any'], (l: unknown, v: unknown) => [v, ...list(l, 'prepend')]),
    ),
    ...must(
      'first',
      fn(['any'], (l: unknown) => list(l, 'find first')[0] ?? null),
    ),
    ...must(
      'rest',
      fn(['any'], (l: unknown) => (list(l, 'find rest').length === 0 ? null : (l as unknown[]).slice(1))),
    ),
    ...must(
      'last',
      fn(['any'], (l: unknown) => list(l, 'find last').at(-1) ?? null),
    ),
    ...must(
      'initial',
      fn(['any'], (l: unknown) => (list(l, 'find initial').length === 0 ? null : (l as unknown[]).slice(0, -1))),
    ),
    ...must(
      'reverse',
      fn(['any'], (l: unknown) => [...list(l, 'find reverse')].reverse()),
    ),
    ...must(
      'uniq',
      fn(['any'], (l: unknown) => list(l, 'find uniq').filter((x, i, all) => all.findIndex((y) => deepEqual(x, y)) === i)),
    ),
    ...must(
      'without',
      fn(['any'], (l: unknown, ...omit: unknown[]) => list(l, 'find without').filter((x) => !omit.some((o) => deepEqual(o, x))), 'any'),
    ),
    ...must(
      'has',
      fn(['any', 'any'], (needle: unknown, hay: unknown) => (hay === null ? false : list(hay, 'find has').some((x) => deepEqual(x, needle)))),
    ),
    ...must('slice', fn(['any'], slice, 'any')),
    ...must('chunk', fn(['int', 'any'], chunk)),
  ]),
  concat: fn([], (...ls: unknown[]) => ls.flatMap((l) => list(l, 'concat')), 'any'),
  dig: fn([], dig, 'any'),
  // Semver, flow control
  semverCompare: fn(['string', 'string'], semverCompare),
  fail: fn(['string'], (msg: string) => {
    throw new TemplateError(msg);
  }),
  // Regular expressions (Go's RE2 syntax, compiled with RE2)
  regexMatch: fn(['string', 'string'], (re: string, s: string) => {
    try {
      return findAll(re, s, 1).length > 0;
    } catch {
      return false;
    }
  }),
  mustRegexMatch: fn(['string', 'string'], (re: string, s: string) => findAll(re, s, 1).length > 0),
  ...Object.fromEntries([
    ...must(
      'regexFindAll',
      fn(['string', 'string', 'int'], (re: string, s: string, n: bigint) => findAll(re, s, n).map((m) => m[0])),
    ),
    ...must(
      'regexFind',
      fn(['string', 'string'], (re: string, s: string) => findAll(re, s, 1)[0]?.[0] ?? ''),
    ),
    ...must(
      'regexReplaceAll',
      fn(['string', 'string', 'string'], (re: string, s: string, repl: string) => replaceAll(re, s, (m) => expand(repl, m))),
    ),
    ...must(
      'regexReplaceAllLiteral',
      fn(['string', 'string', 'string'], (re: string, s: string, repl: string) => replaceAll(re, s, () => repl)),
    ),
    ...must('regexSplit', fn(['string', 'string', 'int'], regexSplit)),
  ]),
  regexQuoteMeta: fn(['string'], (s: string) => s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&')),
  // ArgoCD's own
  normalize: fn(['string'], sanitizeName),
  slugify: fn([], slugify, 'any'),
  toYaml: fn(['any'], toYaml),
  fromYaml: fn(['string'], (s: string) => fromYaml(s, 'map')),
  fromYamlArray: fn(['string'], (s: string) => fromYaml(s, 'list')),
};

/** path.Clean. */
function goClean(p: string): string {
  if (p === '') return '.';
  const n = posix.normalize(p);
  return n.length > 1 ? n.replace(/\/$/, '') : n;
}

/** Functions ArgoCD has that are refused here: their output changes on every render, or they are not implemented. */
export const UNSUPPORTED = new Set(
  [
    'ago date date_in_zone date_modify dateInZone dateModify duration durationRound htmlDate htmlDateInZone must_date_modify',
    'mustDateModify mustToDate now toDate unixEpoch randAlphaNum randAlpha randAscii randNumeric randInt randBytes shuffle',
    'uuidv4 bcrypt htpasswd genPrivateKey derivePassword buildCustomCert genCA genCAWithKey genSelfSignedCert',
    'genSelfSignedCertWithKey genSignedCert genSignedCertWithKey encryptAES decryptAES abbrev abbrevboth untitle initials',
    'swapcase snakecase camelcase kebabcase wrap wrapWith seq toDecimal add1f addf subf divf mulf typeOf typeIs typeIsLike',
    'semver urlParse urlJoin getHostByName env expandenv call js',
  ]
    .join(' ')
    .split(' '),
);
