/** Plain JS views of SOPS trees (what callers read), and JS values turned back into tree values. */
import { Branch, Comment, Float, Int, Time, Verbatim, type Entry, type List, type Value } from './tree.ts';

/**
 * Branch → object (key order of the file, except that JS moves integer-like keys first), list →
 * array, int → number (bigint beyond 2^53), float → number, time → RFC 3339 string, bytes → string.
 */
export function toJs(v: Value): unknown {
  if (v instanceof Branch) {
    const out: Record<string, unknown> = {};
    for (const item of v.items) {
      if (item instanceof Comment) continue;
      Object.defineProperty(out, item.key, { value: toJs(item.value), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  if (Array.isArray(v)) return v.filter((i) => !(i instanceof Comment)).map((i) => toJs(i as Value));
  if (v instanceof Int) {
    const n = Number(v.value);
    return Number.isSafeInteger(n) ? n : v.value;
  }
  if (v instanceof Float) return v.value;
  if (v instanceof Time) return v.text;
  if (v instanceof Verbatim) return v.js;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return v;
}

/**
 * A JS value as a tree value: integers → int, other numbers → float, bigint → int, Date → time,
 * arrays → lists, plain objects → maps. Tree values (Int, Float, Time, Branch…) pass through.
 */
export function fromJs(v: unknown): Value {
  if (v === null || v === undefined) return null;
  if (v instanceof Branch || v instanceof Int || v instanceof Float || v instanceof Time || v instanceof Verbatim) return v;
  if (v instanceof Uint8Array || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return new Int(v);
  if (typeof v === 'number') return Number.isInteger(v) && !Object.is(v, -0) ? new Int(v) : new Float(v);
  if (v instanceof Date) return new Time(v.toISOString().replace('.000Z', 'Z'));
  if (Array.isArray(v)) return v.map((i) => (i instanceof Comment ? i : fromJs(i))) as List;
  if (typeof v === 'object') {
    return new Branch(Object.entries(v as Record<string, unknown>).map(([key, value]): Entry => ({ key, value: fromJs(value) })));
  }
  throw new TypeError(`cannot store a ${typeof v} in a SOPS document`);
}
