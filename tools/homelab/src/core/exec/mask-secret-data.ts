import { isMap, isScalar, parseDocument, visit, type Node } from 'yaml';

/**
 * Finding the values of Secret `data`/`stringData`, whatever text they are printed in: a YAML or JSON document
 * (`maskSecretObjects`), text read line by line or that is not YAML, such as helm's NAME:/NOTES: around its
 * manifest or a unified diff (`SecretLines`), and a Secret printed on one line in flow style, such as the
 * last-applied-configuration annotation (`maskInlineSecrets`). The masker decides what each value becomes.
 */
export interface DataEntry {
  field: 'data' | 'stringData';
  /** The Secret's name where it is known ('' otherwise). */
  secret: string;
  key: string;
  /** The value as printed, unquoted. */
  value: string;
}

export type DataMarker = (entry: DataEntry) => string;

const FIELDS = new Set(['data', 'stringData']);
const MARKER = /^REDACTED[0-9a-f]{8}$/;

/**
 * Every Secret in a parsed document (top level, in a List's items, anywhere), its values replaced in place and
 * every other byte kept. Undefined when the text is not YAML/JSON holding Kubernetes objects.
 */
export function maskSecretObjects(doc: string, marker: DataMarker): string | undefined {
  const parsed = parseDocument(doc, { uniqueKeys: false });
  if (parsed.errors.length > 0) return undefined;
  const edits: { start: number; end: number; text: string }[] = [];
  let objects = 0;
  visit(parsed, {
    Map(_, node) {
      const kind = node.get('kind');
      if (typeof kind !== 'string') return;
      objects++;
      if (kind !== 'Secret') return;
      const metadata = node.get('metadata');
      const secret = isMap(metadata) ? String(metadata.get('name') ?? '') : '';
      for (const field of ['data', 'stringData'] as const) {
        const values = node.get(field, true);
        const entries: [string, Node | null][] = isMap(values)
          ? values.items.map((item) => [String(isScalar(item.key) ? item.key.value : item.key), item.value as Node | null])
          : [['', values as Node | null]];
        for (const [key, value] of entries) {
          if (!value?.range || (isScalar(value) && value.value === null)) continue;
          const text = isScalar(value) ? String(value.value) : doc.slice(value.range[0], value.range[1]).trim();
          const masked = marker({ field, secret, key, value: text });
          // JSON stays JSON: a double-quoted value in a flow map keeps its quotes.
          const quoted = isScalar(value) && value.type === 'QUOTE_DOUBLE' && isMap(values) && values.flow;
          edits.push({ start: value.range[0], end: value.range[1], text: quoted ? `"${masked}"` : masked });
        }
      }
    },
  });
  if (objects === 0) return undefined;
  // Pieces joined once: splicing each value into the whole text would copy it once per value (quadratic).
  const parts: string[] = [];
  let done = 0;
  for (const edit of edits.sort((a, b) => a.start - b.start)) {
    // A Secret nested in another's data is already masked whole with it.
    if (edit.start < done) continue;
    // A block scalar's range ends after its final line break: keep that break.
    const trailing = /\s*$/.exec(doc.slice(edit.start, edit.end))?.[0] ?? '';
    parts.push(doc.slice(done, edit.start), edit.text, trailing);
    done = edit.end;
  }
  parts.push(doc.slice(done));
  return parts.join('');
}

/** `key: value`, `"key": "value",`, `- key: value`: indentation, list dashes, key, raw value. */
const KEY_LINE = /^( *)((?:- +)*)(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([^\s"'#{}[\],:-][^:#]*?|-[^\s:#][^:#]*?))[ \t]*:(?:[ \t]+(.*?))?[ \t]*$/;
const BLOCK_SCALAR = /^[|>][-+0-9]*(?:\s+#.*)?$/;
const JSON_PUNCTUATION = /^[{}[\],\s]*$/;

interface ObjectState {
  kind?: string;
  name?: string;
  /** An `apiVersion` key was seen: this mapping is a Kubernetes object even before its kind. */
  object?: boolean;
  keys: number;
}

interface SecretBlock {
  field: DataEntry['field'];
  secret: string;
  /** Indentation of the `data:` key: deeper lines belong to it. */
  indent: number;
  /** The entry being read: lines deeper than it are its continuation (block scalar, multi-line string). */
  entry?: { indent: number; key: string };
}

/**
 * Secret data in text read line by line, with no lookahead: a tool's output as it streams, or text that is not a
 * YAML document (helm's dry-run report, `kubectl diff`). It follows indentation, list items and documents (`---`,
 * a diff's per-file header naming `v1.Secret.<namespace>.<name>`). Where a mapping's kind is not known yet when its
 * `data:` arrives (kubectl and JSON sort `data` before `kind`), it is taken for a Secret: a ConfigMap masked by
 * mistake costs less than a Secret printed.
 */
export class SecretLines {
  private objects = new Map<number, ObjectState>();
  private path: { indent: number; key: string }[] = [];
  private block?: SecretBlock;
  /** Inside a unified diff: each line has a one-character prefix; the header names the object. */
  private diff?: { kind: string; name: string };

  private readonly marker: DataMarker;

  constructor(marker: DataMarker) {
    this.marker = marker;
  }

  next(line: string): string {
    if (/^diff /.test(line)) {
      this.reset();
      const object = /\.([A-Z][A-Za-z0-9]*)\.([a-z0-9][a-z0-9.-]*)\s*$/.exec(line);
      this.diff = { kind: object?.[1] ?? '', name: object?.[2] ?? '' };
      return line;
    }
    if (this.diff && /^(---|\+\+\+) /.test(line)) return line;
    if (this.diff && line.startsWith('@@')) {
      // A hunk may start in the middle of a Secret's data: until a top-level key says otherwise, all of it is data.
      this.objects.clear();
      this.path = [];
      this.block = this.diff.kind === 'Secret' ? { field: 'stringData', secret: this.diff.name, indent: 0 } : undefined;
      return line;
    }
    const prefix = this.diff && /^[ +\-\\]/.test(line) ? line[0] : '';
    const content = line.slice(prefix.length);
    if (/^---\s*$/.test(content) && !prefix) {
      this.reset();
      return line;
    }
    const masked = this.content(content);
    return masked === content ? maskInlineSecrets(line, this.marker) : prefix + masked;
  }

  private reset(): void {
    this.objects.clear();
    this.path = [];
    this.block = undefined;
    this.diff = undefined;
  }

  private content(text: string): string {
    if (text.trim() === '') return text;
    const match = KEY_LINE.exec(text);
    const indent = /^ */.exec(text)![0].length + (match?.[2].length ?? 0);
    if (this.block && indent > this.block.indent) return this.secretLine(this.block, text, match, indent);
    this.block = undefined;
    // A list item starts a new mapping at its own indentation; any line ends the mappings deeper than it.
    for (const level of this.objects.keys()) if (level > indent || (match?.[2] && level === indent)) this.objects.delete(level);
    while (this.path.length && this.path.at(-1)!.indent >= indent) this.path.pop();
    if (!match) return text;
    const key = match[3] ?? match[4] ?? match[5];
    const raw = match[6] ?? '';
    const object = this.objects.get(indent) ?? { keys: 0 };
    this.objects.set(indent, object);
    object.keys++;
    if (key === 'kind') object.kind = unquote(raw.replace(/,$/, ''));
    if (key === 'apiVersion') object.object = true;
    const parent = this.path.at(-1);
    if (key === 'name' && parent?.key === 'metadata') {
      const owner = this.objects.get(parent.indent);
      if (owner) owner.name = unquote(raw.replace(/,$/, ''));
    }
    this.path.push({ indent, key });
    if (!FIELDS.has(key) || !this.isSecret(object, indent)) return text;
    const field = key as DataEntry['field'];
    const secret = object.name ?? (indent === 0 ? (this.diff?.name ?? '') : '');
    const start = text.length - raw.length;
    if (!raw.startsWith('{') && raw !== '') return text.slice(0, start) + this.marker({ field, secret, key: '', value: unquote(raw) });
    const close = raw === '' ? text.length : flowEnd(text, start + 1, 0);
    // `data:` or a flow map left open on this line: the lines below are its entries.
    if (close === text.length) this.block = { field, secret, indent };
    return raw === ''
      ? text
      : text.slice(0, start + 1) + maskFlowPairs(text.slice(start + 1, close), { field, secret, escapes: 0 }, this.marker) + text.slice(close);
  }

  private isSecret(object: ObjectState, indent: number): boolean {
    const kind = object.kind ?? (indent === 0 && this.diff?.kind ? this.diff.kind : undefined);
    if (kind !== undefined) return kind === 'Secret';
    // An object's data before its kind, or a document that starts with `data:`.
    return object.object === true || (indent === 0 && object.keys === 1);
  }

  /** One line inside a Secret's data: an entry gets its value masked, anything deeper is masked whole. */
  private secretLine(block: SecretBlock, text: string, match: RegExpExecArray | null, indent: number): string {
    const lead = /^ */.exec(text)![0];
    if (block.entry && indent > block.entry.indent) {
      return lead + this.marker({ field: block.field, secret: block.secret, key: block.entry.key, value: text.trim() });
    }
    if (!match) {
      if (JSON_PUNCTUATION.test(text)) return text;
      block.entry = undefined;
      return lead + this.marker({ field: block.field, secret: block.secret, key: '', value: text.trim() });
    }
    const key = match[3] ?? match[4] ?? match[5];
    block.entry = { indent, key };
    const raw = match[6] ?? '';
    if (raw === '' || raw === '{' || BLOCK_SCALAR.test(raw)) return text;
    const comma = /^".*",$/.test(raw) ? ',' : '';
    const value = comma ? raw.slice(0, -1) : raw;
    if (MARKER.test(unquote(value))) return text;
    const masked = this.marker({ field: block.field, secret: block.secret, key, value: unquote(value) });
    const quote = /^["']/.test(value) ? value[0] : '';
    return text.slice(0, text.length - raw.length) + quote + masked + quote + comma;
  }
}

function unquote(value: string): string {
  if (/^"(?:[^"\\]|\\.)*"$/.test(value)) {
    try {
      return JSON.parse(value) as string;
    } catch {
      return value.slice(1, -1);
    }
  }
  if (/^'(?:[^']|'')*'$/.test(value)) return value.slice(1, -1).replace(/''/g, "'");
  return value;
}

const INLINE_SECRET = /\bkind\\*["']?\s*:\s*\\*["']?Secret\b/;
const INLINE_FIELD = /(\\*)(["']?)(data|stringData)\1\2\s*:\s*\{/g;

/**
 * A Secret printed on one line in flow style or JSON, possibly escaped inside a string (kubectl's
 * last-applied-configuration annotation): every value of its `data`/`stringData` maps is masked.
 */
export function maskInlineSecrets(line: string, marker: DataMarker): string {
  if (!INLINE_SECRET.test(line)) return line;
  let out = '';
  let done = 0;
  for (const field of line.matchAll(INLINE_FIELD)) {
    if (field.index < done) continue;
    const open = field.index + field[0].length;
    // The escaping level of the JSON around: a quote toggles a string only after exactly that many backslashes.
    const close = flowEnd(line, open, field[1].length);
    out +=
      line.slice(done, open) + maskFlowPairs(line.slice(open, close), { field: field[3] as DataEntry['field'], secret: '', escapes: field[1].length }, marker);
    done = close;
  }
  return out + line.slice(done);
}

function isQuote(text: string, at: number, escapes: number): boolean {
  if (text[at] !== '"') return false;
  let count = 0;
  while (at - count - 1 >= 0 && text[at - count - 1] === '\\') count++;
  return count === escapes;
}

/** Index of the `}` closing the flow map that starts at `from`, skipping strings (end of line if unclosed). */
function flowEnd(text: string, from: number, escapes: number): number {
  let depth = 0;
  let inString = false;
  for (let i = from; i < text.length; i++) {
    if (isQuote(text, i, escapes)) inString = !inString;
    else if (inString) continue;
    else if (text[i] === '{') depth++;
    else if (text[i] === '}' && depth-- === 0) return i;
  }
  return text.length;
}

/** `k: v, k2: v2` of a flow map: split on commas outside strings, each value masked with its quotes kept. */
function maskFlowPairs(body: string, at: { field: DataEntry['field']; secret: string; escapes: number }, marker: DataMarker): string {
  const { field, secret, escapes } = at;
  const pairs: string[] = [];
  let start = 0;
  let inString = false;
  let depth = 0;
  for (let i = 0; i <= body.length; i++) {
    if (i < body.length && isQuote(body, i, escapes)) inString = !inString;
    else if (inString && i < body.length) continue;
    else if (body[i] === '{' || body[i] === '[') depth++;
    else if (body[i] === '}' || body[i] === ']') depth--;
    else if (i === body.length || (body[i] === ',' && depth === 0)) {
      pairs.push(body.slice(start, i));
      start = i + 1;
    }
  }
  return pairs
    .map((pair) => {
      const pairMatch = /^(\s*(\\*["']?)([-._a-zA-Z0-9]+)\2\s*:\s*)(.*?)(\s*)$/s.exec(pair);
      // Not `key: value` as a Secret's keys are: nothing of it is kept.
      if (!pairMatch) return pair.trim() === '' ? pair : pair.replace(/\S.*\S|\S/s, (text) => marker({ field, secret, key: '', value: text }));
      if (pairMatch[4] === '') return pair;
      const quote = /^\\*["']/.exec(pairMatch[4])?.[0] ?? '';
      const value = quote && pairMatch[4].endsWith(quote) ? pairMatch[4].slice(quote.length, -quote.length) : pairMatch[4];
      if (MARKER.test(value)) return pair;
      return `${pairMatch[1]}${quote}${marker({ field, secret, key: pairMatch[3], value })}${quote}${pairMatch[5]}`;
    })
    .join(',');
}
