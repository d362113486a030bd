import { isCollection, isMap, isNode, isSeq, parseDocument, stringify, type Node } from 'yaml';
import { HomelabError } from '../core/model/errors.ts';

export type YamlPath = (string | number)[];

/**
 * Appends an entry to the block collection at `path` of a YAML file and changes no other byte: comments, order,
 * quoting and line folding stay exactly as written (the `yaml` Document API locates the collection; the new
 * lines are inserted after its last item). A mapping gets `key: value`, a sequence `- value`. The result is parsed
 * again and must hold the new entry, so a wrong insertion can never be written.
 */
export function appendEntry(text: string, file: string, path: YamlPath, entry: { key?: string; value: unknown }): string {
  const doc = parseDocument(text, { version: '1.1' });
  if (doc.errors.length > 0) throw new HomelabError(`${file}: YAML syntax error: ${doc.errors[0].message.split('\n')[0]}`, 'fix the YAML syntax first');
  const collection = doc.getIn(path, true);
  const where = `${file}: ${path.join('.') || '(top level)'}`;
  if (!isCollection(collection) || (isMap(collection) && entry.key === undefined) || (isSeq(collection) && entry.key !== undefined)) {
    throw new HomelabError(`${where} is not a ${entry.key === undefined ? 'list' : 'mapping'}`, `add the entry to ${file} by hand`);
  }
  if (collection.flow || collection.items.length === 0) {
    throw new HomelabError(
      `${where} is written in flow style ({} or [])`,
      `write it as a block ${entry.key === undefined ? 'list' : 'mapping'} first, or add the entry by hand`,
    );
  }
  const first = collection.items[0];
  const last = collection.items[collection.items.length - 1];
  const firstStart = isMap(collection) ? nodeOf((first as { key: unknown }).key).range![0] : nodeOf(first).range![0];
  const lastNode = isMap(collection) ? ((last as { value: unknown }).value ?? (last as { key: unknown }).key) : last;
  const lastEnd = nodeOf(lastNode).range![2];
  const lineStart = text.lastIndexOf('\n', firstStart - 1) + 1;
  // The column of a sequence is its dash's; of a mapping its first key's.
  const column = isSeq(collection) ? text.lastIndexOf('-', firstStart) - lineStart : firstStart - lineStart;
  const step = indentStep(text, lineStart, column);
  const snippet = stringify(entry.key === undefined ? [entry.value] : { [entry.key]: entry.value }, {
    version: '1.1',
    indent: step,
    lineWidth: 0,
    indentSeq: true,
  });
  const indented = snippet
    .trimEnd()
    .split('\n')
    .map((line) => (line === '' ? line : `${' '.repeat(column)}${line}`))
    .join('\n');
  const insertAt = lastEnd > 0 && text[lastEnd - 1] === '\n' ? lastEnd : text.indexOf('\n', lastEnd) < 0 ? text.length : text.indexOf('\n', lastEnd) + 1;
  const prefix = text.slice(0, insertAt);
  const out = `${prefix}${prefix.endsWith('\n') || prefix === '' ? '' : '\n'}${indented}\n${text.slice(insertAt)}`;

  const check = parseDocument(out, { version: '1.1' });
  const added = check.getIn(entry.key === undefined ? [...path, collection.items.length] : [...path, entry.key]);
  if (check.errors.length > 0 || JSON.stringify(toJs(added)) !== JSON.stringify(entry.value)) {
    throw new HomelabError(`${where}: could not add the entry without reformatting the file`, `add it by hand: ${snippet.trim().split('\n').join(' ')}`);
  }
  return out;
}

/** Whether the collection at `path` already holds `key` (mapping) or an item equal to `value` (sequence). */
export function hasEntry(text: string, path: YamlPath, entry: { key?: string; value?: unknown }): boolean {
  const found = toJs(parseDocument(text, { version: '1.1' }).getIn(path));
  if (entry.key !== undefined) return isRecordLike(found) && Object.hasOwn(found, entry.key);
  return Array.isArray(found) && found.some((item) => JSON.stringify(item) === JSON.stringify(entry.value));
}

function nodeOf(value: unknown): Node {
  if (!isNode(value) || !value.range) throw new HomelabError('unexpected YAML structure', 'add the entry by hand');
  return value;
}

function toJs(value: unknown): unknown {
  return isNode(value) ? value.toJSON() : value;
}

function isRecordLike(value: unknown): value is Record<string, unknown> {
  const js = toJs(value);
  return typeof js === 'object' && js !== null && !Array.isArray(js);
}

/** The file's indentation step: the collection's column minus its parent line's, else 2. */
function indentStep(text: string, lineStart: number, column: number): number {
  const before = text.slice(0, lineStart).split('\n').reverse();
  for (const line of before) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const parent = line.length - line.trimStart().length;
    return column > parent ? Math.min(column - parent, 8) : 2;
  }
  return 2;
}
