/**
 * A reader for the plain shape most Chart.yaml files have: block mappings and sequences whose every scalar is a
 * string (quoted, or plain text YAML 1.1 reads as a string), indented with spaces. It gives exactly what the full
 * parser (yaml-docs.ts) gives for such a text, or undefined for anything else — flow collections, block scalars,
 * anchors, tags, numbers, booleans, nulls, multi-line scalars, document markers, duplicate keys — and the caller
 * parses that text fully. A thousand Chart.yaml files cost ~0.3 s through the full parser, a tenth of that here.
 */
export function parseSimpleYaml(text: string): unknown {
  // Tabs, carriage returns, control characters, byte order marks and the line breaks YAML 1.1 adds (NEL, LS, PS).
  if (/[^\n\x20-\x7E\xA0-\u2027\u202A-\uFEFE\uFF00-\uFFFD]/.test(text)) return undefined;
  const lines: Line[] = [];
  for (const raw of text.split('\n')) {
    const rest = raw.replace(/^ +/, ''); // spaces only: YAML indents with nothing else
    if (rest === '' || rest.startsWith('#')) continue;
    if (/^(?:---|\.\.\.|%)/.test(raw)) return undefined;
    lines.push({ indent: raw.length - rest.length, rest });
  }
  if (lines.length === 0 || lines[0].indent !== 0) return undefined;
  const reader = { lines, at: 0 };
  const value = block(reader);
  return reader.at === lines.length ? value : undefined;
}

interface Line {
  indent: number;
  rest: string;
}

interface Reader {
  lines: Line[];
  at: number;
}

type Value = string | Value[] | { [key: string]: Value };

/** The mapping or sequence starting at the current line. */
function block(reader: Reader): Value | undefined {
  const line = reader.lines[reader.at];
  return isItem(line.rest) ? sequence(reader, line.indent) : mapping(reader, line.indent, 0);
}

const isItem = (rest: string) => rest === '-' || rest.startsWith('- ');

/** Plain keys (those YAML 1.1 reads as strings: not `on`, `y`, `null`, `e5`), short enough for an implicit key. */
const KEY = /^([A-Za-z][\w./-]{0,200}):(?: +(.*))?$/;

/** A block mapping at `indent`; its first key starts `offset` columns into the current line (after `- `). */
function mapping(reader: Reader, indent: number, offset: number): Value | undefined {
  const out: { [key: string]: Value } = {};
  let first = true;
  while (reader.at < reader.lines.length) {
    const line = reader.lines[reader.at];
    if (!first && line.indent < indent) break;
    if (!first && (line.indent > indent || isItem(line.rest))) return undefined;
    const match = KEY.exec(first ? line.rest.slice(offset) : line.rest);
    if (!match || !isStringWord(match[1]) || Object.hasOwn(out, match[1])) return undefined;
    first = false;
    reader.at++;
    const text = withoutComment(match[2] ?? '');
    let value: Value | undefined;
    if (text !== '') {
      value = scalar(text); // a deeper line next (a multi-line scalar) is refused by the loop
    } else {
      // A nested block: deeper, or a sequence at the key's own indentation (YAML allows both).
      const next = reader.lines[reader.at];
      if (!next || next.indent < indent || (next.indent === indent && !isItem(next.rest))) return undefined; // null
      value = block(reader);
    }
    if (value === undefined) return undefined;
    out[match[1]] = value;
  }
  return out;
}

/** A block sequence at `indent`: scalars, or compact mappings (`- name: x` with its other keys below `name`). */
function sequence(reader: Reader, indent: number): Value | undefined {
  const out: Value[] = [];
  while (reader.at < reader.lines.length) {
    const line = reader.lines[reader.at];
    if (line.indent < indent || (line.indent === indent && !isItem(line.rest))) break;
    if (line.indent > indent || line.rest === '-') return undefined;
    const offset = /^- +/.exec(line.rest)![0].length;
    const item = line.rest.slice(offset);
    let value: Value | undefined;
    if (KEY.test(item)) {
      value = mapping(reader, indent + offset, offset);
    } else {
      value = scalar(withoutComment(item));
      reader.at++;
    }
    if (value === undefined) return undefined;
    out.push(value);
  }
  return out;
}

/** The text of a value up to a comment (` #…`), without trailing spaces. */
function withoutComment(text: string): string {
  if (text.startsWith('#')) return '';
  const hash = text.search(/ #/);
  return (hash < 0 ? text : text.slice(0, hash)).replace(/ +$/, '');
}

/** A one-line scalar that is a string: quoted without escapes, or plain text YAML 1.1 does not read as another type. */
function scalar(text: string): string | undefined {
  if (text === '') return undefined; // null
  if (text.startsWith('"')) return /^"[^"\\]*"$/.test(text) ? text.slice(1, -1) : undefined;
  if (text.startsWith("'")) return /^'(?:[^']|'')*'$/.test(text) ? text.slice(1, -1).replaceAll("''", "'") : undefined;
  // Plain: no indicator first and nothing that would start a mapping. Numbers, timestamps and special floats start
  // with a sign, a digit or a dot: of those only a dotted version (`0.1.0`, never a number) is taken as a string.
  if (/^[-?:,[\]{}#&*!|>%@`]/.test(text) || text.includes(': ') || text.endsWith(':') || text === '<<') return undefined;
  if (/^[-+.\d]/.test(text)) return /^\d+\.\d+\.\d+(?:[-+][\w.+-]*)?$/.test(text) ? text : undefined;
  return isStringWord(text) ? text : undefined;
}

/** Not a YAML 1.1 boolean (`y`, `on`, `no`…), null (`~`, `null`), or exponent-only float (`e5`). */
function isStringWord(text: string): boolean {
  return !/^(?:y|yes|n|no|true|false|on|off|null|~)$/i.test(text) && !/^[eE][-+]?\d+$/.test(text);
}
