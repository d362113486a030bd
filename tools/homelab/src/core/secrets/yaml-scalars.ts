/**
 * yaml.v3's scalar typing (resolve.go), which decides each leaf's sops `type:` tag. Neither of the
 * yaml package's schemas matches it: `0777` is octal, `yes` is a string, `1_000` is an int, unquoted
 * dates are timestamps, `08` is a float.
 */
import { parseFloat64, parseGoInt, parseYamlTimestamp } from './go-values.ts';
import { Float, Int, Time, type Scalar } from './tree.ts';

export type ResolvedKind = 'str' | 'int' | 'uint' | 'float' | 'bool' | 'null' | 'timestamp' | 'merge';

const MAP: Record<string, { kind: ResolvedKind; value: Scalar }> = {};
function add(kind: ResolvedKind, value: Scalar, spellings: string[]): void {
  for (const s of spellings) MAP[s] = { kind, value };
}
add('bool', true, ['true', 'True', 'TRUE']);
add('bool', false, ['false', 'False', 'FALSE']);
add('null', null, ['', '~', 'null', 'Null', 'NULL']);
add('float', new Float(NaN), ['.nan', '.NaN', '.NAN']);
add('float', new Float(Infinity), ['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF']);
add('float', new Float(-Infinity), ['-.inf', '-.Inf', '-.INF']);
add('merge', '<<', ['<<']);

const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

function hint(s: string): 'map' | 'dot' | 'num' | undefined {
  if (s === '') return 'map';
  const c = s[0];
  // '<' starts the merge key `<<`.
  if ('yYnNtTfFoO~<'.includes(c)) return 'map';
  if (c === '.') return 'dot';
  if (c === '+' || c === '-' || (c >= '0' && c <= '9')) return 'num';
  return undefined;
}

export interface Resolved {
  kind: ResolvedKind;
  value: Scalar;
}

/** yaml.v3 `resolve("", s)` for an untagged plain scalar. */
export function resolvePlain(s: string): Resolved {
  const h = hint(s);
  if (h === undefined) return { kind: 'str', value: s };
  const known = MAP[s];
  if (known) return known;
  if (h === 'dot') {
    const f = parseFloat64(s);
    return f === undefined ? { kind: 'str', value: s } : { kind: 'float', value: new Float(f) };
  }
  if (h === 'num') {
    const ts = parseYamlTimestamp(s);
    if (ts !== undefined) return { kind: 'timestamp', value: new Time(ts, s) };
    const plain = s.replaceAll('_', '');
    const int = parseGoInt(plain);
    if (int) return { kind: int.unsigned ? 'uint' : 'int', value: new Int(int.value) };
    if (YAML_FLOAT.test(plain)) {
      const f = parseFloat64(plain);
      if (f !== undefined) return { kind: 'float', value: new Float(f) };
    }
  }
  return { kind: 'str', value: s };
}

const OLD_BOOL = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF']);
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

/** yaml.v3 `stringv`: may this string be written unquoted without changing its type? */
export function plainKeepsString(s: string): boolean {
  return resolvePlain(s).kind === 'str' && !BASE60_FLOAT.test(s) && !OLD_BOOL.has(s);
}
