import { parseAllDocuments, type Document } from 'yaml';
import { HomelabError } from '../model/errors.ts';
import { parseSimpleDocuments } from './simple-yaml.ts';

/**
 * Every document of a YAML file as plain data (empty documents dropped).
 * YAML 1.1 like kubectl and helm (Go's yaml.v2): `yes`/`on` are booleans there, so they are here.
 * A syntax error becomes a one-line HomelabError `file:line: …`.
 */
export function parseYamlDocuments(text: string, file: string): unknown[] {
  // Most files the resolver reads are plain enough for the simple reader: the same documents for a tenth of the cost.
  const simple = parseSimpleDocuments(text);
  if (simple) return simple;
  const docs = parseAllDocuments(text, { version: '1.1' });
  const out: unknown[] = [];
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err) {
      const line = err.linePos?.[0].line;
      const what = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      throw new HomelabError(`${file}${line ? `:${line}` : ''}: YAML syntax error: ${what}`, 'fix the YAML syntax');
    }
    const value = expand(doc, file);
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

const MAX_ALIAS_NODES = 1000;

/** A document as plain data. Aliases expanding past the limit (a "billion laughs" bomb) are refused, naming the file. */
function expand(doc: Document, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_NODES });
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    const what = /^Excessive alias/.test(err.message)
      ? `YAML aliases expand to more than ${MAX_ALIAS_NODES} nodes (an alias bomb?)`
      : `YAML alias error: ${err.message}`;
    throw new HomelabError(`${file}: ${what}`, 'write the values out instead of nesting aliases');
  }
}

/** The single document of a YAML file ({} for an empty file). */
export function parseYamlDocument(text: string, file: string): unknown {
  const docs = parseYamlDocuments(text, file);
  if (docs.length > 1) throw new HomelabError(`${file}: expected one YAML document, found ${docs.length}`, 'remove the extra `---` documents');
  return docs[0] ?? {};
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An optional string field of a manifest ('' when absent); `what` names the file and field in the error. */
export function optString(value: unknown, what: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new HomelabError(`${what} must be a string`, 'quote the value');
  return value;
}

/** An optional list-of-strings field of a manifest ([] when absent). */
export function stringList(value: unknown, what: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new HomelabError(`${what} must be a list of strings`, 'quote the entries');
  return value;
}
