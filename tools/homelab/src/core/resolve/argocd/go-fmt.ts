/**
 * Go's fmt for template values: Sprint (`print`), Sprintln (`println`), Sprintf (`printf`) with flags, width,
 * precision and the verbs v s d q t f F e E g G x X o b c, and Go's in-band errors (`%!d(string=x)`,
 * `%!s(MISSING)`, `%!(EXTRA int=1)`), since ArgoCD renders those into the Application rather than failing.
 */

import { formatFloat, formatValue, goType, isMap } from './go-values.ts';

/** strconv.Quote: Go escapes, printable Unicode kept. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c >= 0x20 && c < 0x7f) out += ch;
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 11) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if ((c >= 0x80 && c < 0xa0) || c === 0xad || (c >= 0xd800 && c < 0xe000) || c === 0xfeff) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** fmt.Sprint: operands joined, with a space between two operands when neither is a string. */
export function sprint(args: unknown[]): string {
  let out = '';
  args.forEach((arg, i) => {
    if (i > 0 && typeof arg !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(arg);
  });
  return out;
}

export function sprintln(args: unknown[]): string {
  return `${args.map(formatValue).join(' ')}\n`;
}

interface Spec {
  minus: boolean;
  plus: boolean;
  zero: boolean;
  space: boolean;
  sharp: boolean;
  width?: number;
  prec?: number;
}

export function sprintf(format: string, args: unknown[]): string {
  let n = 0;
  let out = '';
  const re = /%([-+# 0]*)(\*|\d+)?(?:\.(\*|\d*))?(.)?/gsy;
  let last = 0;
  for (let i = format.indexOf('%'); i >= 0; i = format.indexOf('%', last)) {
    out += format.slice(last, i);
    re.lastIndex = i;
    const m = re.exec(format)!;
    last = re.lastIndex;
    const flags = m[1];
    const spec: Spec = {
      minus: flags.includes('-'),
      plus: flags.includes('+'),
      zero: flags.includes('0'),
      space: flags.includes(' '),
      sharp: flags.includes('#'),
    };
    const star = (text: string | undefined): number | undefined => {
      if (text === undefined || text === '') return text === '' ? 0 : undefined;
      if (text !== '*') return Number(text);
      const arg = args[n++];
      return typeof arg === 'bigint' ? Number(arg) : undefined;
    };
    spec.width = star(m[2]);
    spec.prec = star(m[3]);
    const verb = m[4];
    if (verb === undefined) {
      out += '%!(NOVERB)';
      continue;
    }
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (n >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += pad(formatOne(verb, args[n++], spec), spec);
  }
  out += format.slice(last);
  if (n < args.length)
    out += `%!(EXTRA ${args
      .slice(n)
      .map((a) => (a === null || a === undefined ? '<nil>' : `${goType(a)}=${formatValue(a)}`))
      .join(', ')})`;
  return out;
}

function pad(text: string, spec: Spec): string {
  if (spec.width === undefined || text.length >= spec.width) return text;
  const fill = spec.width - [...text].length;
  if (fill <= 0) return text;
  if (spec.minus) return text + ' '.repeat(fill);
  if (spec.zero && /^[+-]?[\d.]/.test(text)) {
    const sign = /^[+-]/.test(text) ? text[0] : '';
    return sign + '0'.repeat(fill) + text.slice(sign.length);
  }
  return ' '.repeat(fill) + text;
}

function bad(verb: string, v: unknown): string {
  return v === null || v === undefined ? `%!${verb}(<nil>)` : `%!${verb}(${goType(v)}=${formatValue(v)})`;
}

function signed(text: string, spec: Spec): string {
  if (text.startsWith('-')) return text;
  return (spec.plus ? '+' : spec.space ? ' ' : '') + text;
}

function formatOne(verb: string, v: unknown, spec: Spec): string {
  // Go applies the verb to each element of a slice or map.
  if (Array.isArray(v) && verb !== 'v') return `[${v.map((x) => formatOne(verb, x, spec)).join(' ')}]`;
  if (isMap(v) && verb !== 'v')
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${formatOne(verb, k, spec)}:${formatOne(verb, v[k], spec)}`)
      .join(' ')}]`;
  switch (verb) {
    case 'v':
      if (typeof v === 'number' && spec.prec !== undefined) return formatOne('g', v, spec);
      if (typeof v === 'number' || typeof v === 'bigint') return signed(formatValue(v), spec);
      if (spec.sharp && typeof v === 'string') return goQuote(v);
      return formatValue(v);
    case 's':
      if (typeof v !== 'string') return bad(verb, v);
      return spec.prec === undefined ? v : [...v].slice(0, spec.prec).join('');
    case 'q':
      if (typeof v === 'string') return goQuote(v);
      if (typeof v === 'bigint') return `'${String.fromCodePoint(Number(v))}'`;
      return bad(verb, v);
    case 't':
      return typeof v === 'boolean' ? String(v) : bad(verb, v);
    case 'd':
      return typeof v === 'bigint' ? signed(v.toString(), spec) : bad(verb, v);
    case 'b':
    case 'o':
    case 'x':
    case 'X': {
      const radix = { b: 2, o: 8, x: 16, X: 16 }[verb];
      let text: string;
      if (typeof v === 'bigint') text = signed((v < 0n ? '-' : '') + (v < 0n ? -v : v).toString(radix), spec);
      else if (typeof v === 'string' && radix === 16) text = Buffer.from(v).toString('hex');
      else return bad(verb, v);
      return verb === 'X' ? text.toUpperCase() : text;
    }
    case 'c':
      return typeof v === 'bigint' ? String.fromCodePoint(Number(v)) : bad(verb, v);
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G': {
      if (typeof v !== 'number') return bad(verb, v);
      if (!Number.isFinite(v)) return signed(formatFloat(v, 'g'), spec);
      const lower = verb.toLowerCase();
      let text: string;
      if (lower === 'f') text = toFixed(v, spec.prec ?? 6);
      else if (lower === 'e') text = goExponent(v.toExponential(spec.prec ?? 6));
      else if (spec.prec === undefined) text = formatFloat(v, 'g');
      else {
        const exp = Number(v.toExponential(Math.max(spec.prec - 1, 0)).split('e')[1]);
        const p = spec.prec === 0 ? 1 : spec.prec;
        text = exp < -4 || exp >= p ? goExponent(v.toExponential(p - 1).replace(/\.?0+e/, 'e')) : String(Number(v.toPrecision(p)));
      }
      text = signed(text, spec);
      return verb === 'E' || verb === 'G' ? text.toUpperCase() : text;
    }
    default:
      return bad(verb, v);
  }
}

/** %.Nf: JavaScript rounds an exact tie up (2.25 → 2.3), Go to even (2.2). */
function toFixed(x: number, prec: number): string {
  const exact = Math.abs(x).toFixed(Math.min(100, prec + 30));
  const point = exact.indexOf('.');
  const tail = exact.slice(point + 1 + prec);
  if (!/^50*$/.test(tail)) return x.toFixed(prec);
  const kept = exact.slice(0, point + 1 + prec).replace(/\.$/, '');
  const lastDigit = Number(kept.replace('.', '').at(-1));
  const magnitude = lastDigit % 2 === 0 ? kept : (Math.abs(x) + 10 ** -prec / 2).toFixed(prec);
  return (x < 0 ? '-' : '') + magnitude;
}

/** JavaScript's `1.5e+7` as Go writes it: `1.5e+07`. */
function goExponent(text: string): string {
  return text.replace(/e([+-])(\d)$/, 'e$10$2');
}
