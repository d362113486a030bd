/**
 * Go's text forms of values, byte-exact: sops hashes and encrypts `strconv` output, yaml.v3 prints
 * floats with `'g'`, encoding/json with its own rule, and times as RFC 3339.
 */

/** Shortest round-trip digits of a finite non-zero |x|: digits and the decimal exponent (value = 0.d1d2… × 10^dp). */
function shortestDigits(x: number): { digits: string; dp: number } {
  // toExponential() without an argument yields the shortest digits that round-trip, like Go's Ryu path.
  const [mant, exp] = Math.abs(x).toExponential().split('e');
  return { digits: mant.replace('.', ''), dp: Number(exp) + 1 };
}

function special(x: number): string | undefined {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  return undefined;
}

function sign(x: number): string {
  return x < 0 || Object.is(x, -0) ? '-' : '';
}

function fixed(digits: string, dp: number): string {
  if (dp <= 0) return `0.${'0'.repeat(-dp)}${digits}`;
  if (dp >= digits.length) return digits + '0'.repeat(dp - digits.length);
  return `${digits.slice(0, dp)}.${digits.slice(dp)}`;
}

function exponent(digits: string, dp: number): string {
  const e = dp - 1;
  const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const abs = Math.abs(e);
  return `${mant}e${e < 0 ? '-' : '+'}${abs < 10 ? `0${abs}` : abs}`;
}

/** `strconv.FormatFloat(x, 'f', -1, 64)`: what sops hashes and encrypts for a float. */
export function formatFloatF(x: number): string {
  const s = special(x);
  if (s) return s;
  if (x === 0) return sign(x) + '0';
  const { digits, dp } = shortestDigits(x);
  return sign(x) + fixed(digits, dp);
}

/** `strconv.FormatFloat(x, 'g', -1, 64)`: yaml.v3's float text (shortest digits; %e when exp < -4 or exp >= 6). */
export function formatFloatG(x: number): string {
  const s = special(x);
  if (s) return s;
  if (x === 0) return sign(x) + '0';
  const { digits, dp } = shortestDigits(x);
  const exp = dp - 1;
  // In shortest mode Go decides %e vs %f with precision 6.
  if (exp < -4 || exp >= 6) return sign(x) + exponent(digits, dp);
  return sign(x) + fixed(digits, dp);
}

/** yaml.v3 `floatv`: 'g' text with YAML spellings for the specials. */
export function yamlFloat(x: number): string {
  if (Number.isNaN(x)) return '.nan';
  if (x === Infinity) return '.inf';
  if (x === -Infinity) return '-.inf';
  return formatFloatG(x);
}

/** encoding/json float64 text (ES number formatting, except that Go keeps the sign of -0). */
export function jsonFloat(x: number): string {
  if (!Number.isFinite(x)) throw new Error('JSON cannot represent NaN or infinities');
  if (Object.is(x, -0)) return '-0';
  return String(x);
}

/** `strconv.ParseFloat(s, 64)` for the forms sops and yaml.v3 produce (decimal, exponent, Inf, NaN). */
export function parseFloat64(s: string): number | undefined {
  const t = s.trim() === s ? s : '';
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(t)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return undefined;
  return Number(t);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

export function inInt64(v: bigint): boolean {
  return v >= INT64_MIN && v <= INT64_MAX;
}

/** `strconv.Atoi`: decimal with an optional sign, int64 range. */
export function parseAtoi(s: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const v = BigInt(s);
  return inInt64(v) ? v : undefined;
}

/**
 * `strconv.ParseInt(s, 0, 64)` / `ParseUint(s, 0, 64)` (base from prefix: 0x, 0o, 0b, leading 0 = octal).
 * Returns the value and whether it only fits uint64.
 */
export function parseGoInt(s: string): { value: bigint; unsigned: boolean } | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return undefined;
  const [, sgn, body] = m;
  let mag: bigint;
  const p = body.slice(0, 2).toLowerCase();
  if (p === '0x' || p === '0o' || p === '0b') mag = BigInt(`0${p[1]}${body.slice(2)}`);
  else if (body.length > 1 && body[0] === '0') mag = BigInt(`0o${body.slice(1)}`);
  else mag = BigInt(body);
  const value = sgn === '-' ? -mag : mag;
  if (inInt64(value)) return { value, unsigned: false };
  if (sgn === '' && value <= UINT64_MAX) return { value, unsigned: true };
  return undefined;
}

/** `strconv.ParseBool`. */
export function parseGoBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

interface ParsedTime {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  /** Fraction digits (at most 9). */
  frac: string;
  /** Offset in minutes; undefined = UTC with no zone written. */
  offset: number | undefined;
}

function daysIn(month: number, year: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * yaml.v3 `parseTimestamp`: Go `time.Parse` with the layouts `2006-1-2T15:4:5.999999999Z07:00` (also
 * lower-case `t`), `2006-1-2 15:4:5.999999999` and `2006-1-2`. Returns the RFC 3339 (nano) text.
 */
export function parseYamlTimestamp(s: string): string | undefined {
  const date = /^(\d{4})-(\d{1,2})-(\d{1,2})/.exec(s);
  if (!date) return undefined;
  const [y, mo, d] = [Number(date[1]), Number(date[2]), Number(date[3])];
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(mo, y)) return undefined;
  const rest = s.slice(date[0].length);
  if (rest === '') return formatRfc3339Nano({ y, mo, d, h: 0, mi: 0, s: 0, frac: '', offset: undefined });
  const time = /^(?:([Tt])| +)(\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,](\d+))?(.*)$/.exec(rest);
  if (!time) return undefined;
  const [h, mi, sec] = [Number(time[2]), Number(time[3]), Number(time[4])];
  if (h > 23 || mi > 59 || sec > 59) return undefined;
  const frac = (time[5] ?? '').slice(0, 9);
  const zone = time[6];
  let offset: number | undefined;
  if (time[1] !== undefined) {
    if (zone === 'Z') offset = 0;
    else {
      const z = /^([+-])(\d{2}):(\d{2})$/.exec(zone);
      if (!z) return undefined;
      offset = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3]));
    }
  } else if (zone !== '') return undefined;
  return formatRfc3339Nano({ y, mo, d, h, mi, s: sec, frac, offset });
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

function formatRfc3339Nano(t: ParsedTime): string {
  const frac = t.frac.replace(/0+$/, '');
  const off = t.offset ?? 0;
  const zone = off === 0 ? 'Z' : `${off < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  return `${pad(t.y, 4)}-${pad(t.mo)}-${pad(t.d)}T${pad(t.h)}:${pad(t.mi)}:${pad(t.s)}${frac ? `.${frac}` : ''}${zone}`;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?([Zz]|[+-]\d{2}:\d{2})$/;

/** Go `time.Parse(time.RFC3339, s)` then `Format(time.RFC3339)`: what sops uses as the MAC's AAD. */
export function normalizeRfc3339(s: string): string | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number);
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(mo, y) || h > 23 || mi > 59 || sec > 59) return undefined;
  const zone = m[8].toUpperCase() === 'Z' ? 'Z' : m[8] === '+00:00' || m[8] === '-00:00' ? 'Z' : m[8];
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${zone}`;
}

/** `time.Time.UnmarshalText` (RFC 3339 with optional fraction), returned as RFC 3339 nano text. */
export function parseTimeText(s: string): string | undefined {
  const m = RFC3339.exec(s);
  if (!m || normalizeRfc3339(s) === undefined) return undefined;
  const frac = (m[7] ?? '').slice(0, 9).replace(/0+$/, '');
  const base = normalizeRfc3339(s) as string;
  return frac ? base.replace(/(Z|[+-]\d{2}:\d{2})$/, `.${frac}$1`) : base;
}

/** `time.Now().UTC()` formatted RFC 3339 (whole seconds): sops' `lastmodified`. */
export function rfc3339Now(now: Date = new Date()): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
