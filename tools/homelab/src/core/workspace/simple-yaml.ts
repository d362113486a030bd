// The expressions are constants: a literal in a function makes a new RegExp object on every call (thousands of lines).
/** Tabs, carriage returns, control characters, byte order marks and the line breaks YAML 1.1 adds (NEL, LS, PS). */
const UNUSUAL = /[^\n\x20-\x7E\xA0-\u2027\u202A-\uFEFE\uFF00-\uFFFD]/;
const INDENT = /^ +/;
const MARKER = /^(?:---|\.\.\.|%)/;
const BLOCK_SCALAR = /^[|>]-?$/;
const ITEM_DASH = /^- +/;
const TRAILING_SPACES = / +$/;
const DOUBLE_QUOTED = /^"[^"\\]*"$/;
const SINGLE_QUOTED = /^'(?:[^']|'')*'$/;
const INDICATOR = /^[-?:,[\]{}#&*!|>%@`]/;
const NULL = /^(?:~|null|Null|NULL)$/;
const TRUE = /^(?:y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const FALSE = /^(?:n|N|no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const INTEGER = /^(?:0|[1-9]\d{0,14})$/;
const NUMERIC_START = /^[+.\d]/;
const DOTTED_VERSION = /^\d+(?:\.\d+){2,}(?:[-+][\w.+-]*)?$/;
const NOT_NUMERIC = /[^\d_.:+\- a-fA-FxXtTzZ]/;
const SPECIAL_FLOAT = /^\+?\.(?:inf|nan)$/i;
const BOOLEAN_OR_NULL_WORD = /^(?:y|yes|n|no|true|false|on|off|null|~)$/i;
const EXPONENT = /^[eE][-+]?\d+$/;

/**
 * A reader for the plain shape most Chart.yaml files, Applications and value files have: block mappings and sequences
 * of one-line scalars (quoted strings without escapes, plain text, YAML 1.1 booleans, small integers, nulls, `[]`,
 * `{}`) and of plain literal or folded block scalars, indented with spaces, documents separated by `---` lines. For
 * such a text it gives exactly the documents the full parser gives (yaml-docs.ts: YAML 1.1, empty documents dropped);
 * for anything else — flow collections, other block scalars, anchors, tags, floats, timestamps, multi-line scalars,
 * duplicate keys, unusual indentation — undefined, and the caller parses the text fully. The full parser costs
 * ~0.3 ms per Chart.yaml (0.3 s per thousand charts); this a tenth.
 */
export function parseSimpleDocuments(text: string): unknown[] | undefined {
  if (UNUSUAL.test(text)) return undefined;
  const raws = text.split('\n');
  const documents: Line[][] = [[]];
  for (let index = 0; index < raws.length; index++) {
    const raw = raws[index];
    if (raw === '---') {
      documents.push([]);
      continue;
    }
    const rest = raw.replace(INDENT, ''); // spaces only: YAML indents with nothing else
    if (rest === '' || rest.startsWith('#')) continue;
    if (MARKER.test(raw)) return undefined;
    documents.at(-1)!.push({ index, indent: raw.length - rest.length, rest });
  }
  const out: unknown[] = [];
  for (const lines of documents) {
    if (lines.length === 0) continue; // an empty document, which the full parser's caller drops too
    if (lines[0].indent !== 0) return undefined;
    const reader = { raws, lines, at: 0 };
    const value = block(reader);
    if (value === NO || reader.at !== lines.length) return undefined;
    out.push(value);
  }
  return out;
}

interface Line {
  /** Its line number in the text (0-based). */
  index: number;
  indent: number;
  rest: string;
}

interface Reader {
  /** Every line of the text; `lines` leaves out blank and comment lines, which block scalars may hold. */
  raws: string[];
  lines: Line[];
  at: number;
}

/** Outside the subset: the caller parses the text fully. */
const NO = Symbol('not simple');
type Value = string | number | boolean | null | Value[] | { [key: string]: Value };

/** The mapping or sequence starting at the current line. */
function block(reader: Reader): Value | typeof NO {
  const line = reader.lines[reader.at];
  return isItem(line.rest) ? sequence(reader, line.indent) : mapping(reader, line.indent, 0);
}

const isItem = (rest: string) => rest === '-' || rest.startsWith('- ');

/** Plain keys (those YAML 1.1 reads as strings: not `on`, `y`, `null`, `e5`), short enough for an implicit key. */
const KEY = /^([A-Za-z][\w./-]{0,200}):(?: +(.*))?$/;

/** A block mapping at `indent`; its first key starts `offset` columns into the current line (after `- `). */
function mapping(reader: Reader, indent: number, offset: number): Value | typeof NO {
  const out: { [key: string]: Value } = {};
  let first = true;
  while (reader.at < reader.lines.length) {
    const line = reader.lines[reader.at];
    if (!first && line.indent < indent) break;
    if (!first && (line.indent > indent || isItem(line.rest))) return NO;
    const match = KEY.exec(first ? line.rest.slice(offset) : line.rest);
    if (!match || !isStringWord(match[1]) || Object.hasOwn(out, match[1])) return NO;
    first = false;
    reader.at++;
    const text = withoutComment(match[2] ?? '');
    // A deeper line after a value (a multi-line scalar) is refused by the loop.
    let value: Value | typeof NO = text === '' ? null : BLOCK_SCALAR.test(text) ? blockScalar(reader, indent, line.index, text) : scalar(text);
    const next = reader.lines[reader.at];
    // Nothing after the colon: a nested block, deeper or a sequence at the key's own indentation (YAML allows both).
    if (text === '' && next && (next.indent > indent || (next.indent === indent && isItem(next.rest)))) value = block(reader);
    if (value === NO) return NO;
    out[match[1]] = value;
  }
  return out;
}

/**
 * A literal (`|`, `|-`) or folded (`>`, `>-`) block scalar under a key at `indent` whose header is on line `header`:
 * its lines follow the header at one indentation deeper than the key, none blank or more indented (YAML keeps or
 * folds those in ways left to the full parser), and the text goes on after them.
 */
function blockScalar(reader: Reader, indent: number, header: number, style: string): Value | typeof NO {
  const { raws } = reader;
  const depth = /^ */.exec(raws[header + 1] ?? '')![0].length;
  if (depth <= indent) return NO;
  const pad = ' '.repeat(depth);
  const content: string[] = [];
  let end = header + 1;
  for (; end < raws.length && raws[end].startsWith(pad) && /^[^ ]/.test(raws[end].slice(depth)); end++) content.push(raws[end].slice(depth));
  // end === raws.length: the last line has no line break, which the chomping of `|` and `>` would tell apart.
  if (end === raws.length) return NO;
  let next = end;
  while (next < raws.length && /^ *$/.test(raws[next])) next++;
  if (next < raws.length && /^ */.exec(raws[next])![0].length >= depth) return NO;
  while (reader.at < reader.lines.length && reader.lines[reader.at].index < end) reader.at++;
  const body = content.join(style.startsWith('>') ? ' ' : '\n');
  return style.endsWith('-') ? body : `${body}\n`;
}

/** A block sequence at `indent`: scalars, or compact mappings (`- name: x` with its other keys below `name`). */
function sequence(reader: Reader, indent: number): Value | typeof NO {
  const out: Value[] = [];
  while (reader.at < reader.lines.length) {
    const line = reader.lines[reader.at];
    if (line.indent < indent || (line.indent === indent && !isItem(line.rest))) break;
    if (line.indent > indent) return NO; // a multi-line scalar, or a block nested under a bare `-`
    const offset = line.rest === '-' ? 1 : ITEM_DASH.exec(line.rest)![0].length;
    const item = line.rest.slice(offset);
    let value: Value | typeof NO;
    if (KEY.test(item)) {
      value = mapping(reader, indent + offset, offset);
    } else {
      const text = withoutComment(item);
      value = text === '' ? null : scalar(text);
      reader.at++;
    }
    if (value === NO) return NO;
    out.push(value);
  }
  return out;
}

/** The text of a value up to a comment (` #…`), without trailing spaces. */
function withoutComment(text: string): string {
  if (text.startsWith('#')) return '';
  const hash = text.indexOf(' #');
  return (hash < 0 ? text : text.slice(0, hash)).replace(TRAILING_SPACES, '');
}

/**
 * A one-line scalar as YAML 1.1 reads it (or an empty flow collection): quoted without escapes, a boolean or null
 * word in one of the spellings YAML 1.1 lists, an integer without sign or leading zero, or plain text no YAML 1.1 type
 * claims. Numbers, timestamps and special floats start with a sign, a digit or a dot: of those only integers, dotted
 * versions (`0.1.0`, `192.0.2.1`) and text with a character no number has (`100m`, `../values.yaml`) are taken.
 */
function scalar(text: string): Value | typeof NO {
  if (text === '[]') return [];
  if (text === '{}') return {};
  if (text.startsWith('"')) return DOUBLE_QUOTED.test(text) ? text.slice(1, -1) : NO;
  if (text.startsWith("'")) return SINGLE_QUOTED.test(text) ? text.slice(1, -1).replaceAll("''", "'") : NO;
  // No indicator first and nothing that would start a mapping.
  if (INDICATOR.test(text) || text.includes(': ') || text.endsWith(':') || text === '<<') return NO;
  if (NULL.test(text)) return null;
  if (TRUE.test(text)) return true;
  if (FALSE.test(text)) return false;
  if (INTEGER.test(text)) return Number(text);
  // Apart from `.inf` and `.nan`, every YAML 1.1 number and timestamp is written with digits, signs, dots, colons,
  // spaces, `_`, hex digits and x, t, z: another character (`100m`, `1Gi`, `../values.yaml`) makes the text a string.
  if (NUMERIC_START.test(text)) {
    const string = DOTTED_VERSION.test(text) || (NOT_NUMERIC.test(text) && !SPECIAL_FLOAT.test(text));
    return string ? text : NO;
  }
  return isStringWord(text) ? text : NO;
}

/** Not a boolean or null word in any spelling (`yEs`: not YAML 1.1's, left to the full parser), nor `e5` (a float). */
function isStringWord(text: string): boolean {
  return !BOOLEAN_OR_NULL_WORD.test(text) && !EXPONENT.test(text);
}
