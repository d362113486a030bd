/**
 * The values a Go template sees in an ApplicationSet, as JavaScript values: what ArgoCD's parameters are after
 * JSON decoding (map[string]interface{}, []interface{}, string, float64, bool, nil) plus the Go ints template
 * literals and sprig functions produce. Go keeps int and float64 apart (`eq 3 3.0` is an error, `1e+06` prints
 * differently from `1000000`), so ints are bigint here and float64 is number.
 * `undefined` is Go's invalid value (a missing map key), `null` a nil interface (a JSON null).
 */

import { isRecord } from '../../workspace/yaml-docs.ts';

export class TemplateError extends Error {}

export type GoMap = Record<string, unknown>;

export function isMap(v: unknown): v is GoMap {
  return isRecord(v);
}

/** Go's `%T` for the values above. */
export function goType(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}

/** reflect.Kind names, as sprig's kindOf prints them. */
export function goKind(v: unknown): string {
  if (v === undefined || v === null) return 'invalid';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'float64';
  if (Array.isArray(v)) return 'slice';
  if (isMap(v)) return 'map';
  return typeof v === 'string' ? 'string' : 'bool';
}

/** text/template's truth: false, 0, "", nil and empty collections are false. */
export function isTrue(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === '' || v === 0 || v === 0n) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

/** Go's %v (fmt.Sprint of one value); maps print with sorted keys. */
export function formatValue(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'number') return formatFloat(v, 'g');
  if (Array.isArray(v)) return `[${v.map(formatValue).join(' ')}]`;
  if (isMap(v))
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${formatValue(v[k])}`)
      .join(' ')}]`;
  return String(v);
}

/** What `{{ x }}` prints: a missing or nil value is `<no value>`. */
export function printValue(v: unknown): string {
  return v === undefined || v === null ? '<no value>' : formatValue(v);
}

/**
 * Go's float64 text: %v is strconv's 'g' with the shortest digits (exponent form when the decimal exponent is
 * < -4 or >= 6, two exponent digits at least); encoding/json writes plain decimals in [1e-6, 1e21), as JavaScript does.
 */
export function formatFloat(x: number, style: 'g' | 'json'): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  if (style === 'json' || x === 0) return String(x);
  const [mantissa, exponent] = x.toExponential().split('e');
  const exp = Number(exponent);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(x);
}

/**
 * encoding/json's Marshal: sorted map keys, `<`, `>`, `&`, U+2028 and U+2029 escaped unless `raw`
 * (toRawJson), floats in JSON style; `indent` gives MarshalIndent("", indent).
 */
export function marshalJson(v: unknown, opts: { indent?: string; raw?: boolean } = {}, depth = 0): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return quoteJson(v, opts.raw === true);
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TemplateError(`json: unsupported value: ${formatFloat(v, 'g')}`);
    return formatFloat(v, 'json');
  }
  const pad = opts.indent === undefined ? '' : `\n${opts.indent.repeat(depth + 1)}`;
  const end = opts.indent === undefined ? '' : `\n${opts.indent.repeat(depth)}`;
  const colon = opts.indent === undefined ? ':' : ': ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[${v.map((x) => pad + marshalJson(x, opts, depth + 1)).join(',')}${end}]`;
  }
  if (isMap(v)) {
    const keys = Object.keys(v).sort();
    if (keys.length === 0) return '{}';
    return `{${keys.map((k) => pad + quoteJson(k, opts.raw === true) + colon + marshalJson(v[k], opts, depth + 1)).join(',')}${end}}`;
  }
  throw new TemplateError(`json: unsupported type ${goType(v)}`);
}

function quoteJson(s: string, raw: boolean): string {
  const out = JSON.stringify(s).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
  return raw ? out : out.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

/** Go values → plain JSON data (ints become numbers), for YAML output and the object tree ArgoCD unmarshals. */
export function toPlain(v: unknown): unknown {
  return JSON.parse(marshalJson(v, { raw: true }));
}
