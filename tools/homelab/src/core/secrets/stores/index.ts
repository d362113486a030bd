/**
 * One entry point per operation over the five stores: encrypted files split into data branches +
 * metadata (which every store keeps in its own way), plaintext files in and out.
 */
import { notEncrypted, malformed, type SopsError } from '../errors.ts';
import { flattenMetadata, metadataBranch, parseMetadata, plainData, unflattenMetadata, type SopsMetadata } from '../metadata.ts';
import type { SopsFormat } from '../format.ts';
import { Branch, Comment, type Entry } from '../tree.ts';
import { emitDotenv, loadDotenv } from './dotenv.ts';
import { emitIni, loadIni } from './ini.ts';
import { DEFAULT_JSON_STYLE, detectJsonStyle, emitJson, loadJson, type JsonStyle } from './json.ts';
import { emitYaml, loadYaml } from './yaml.ts';

/** How an existing file is laid out, so a rewrite only changes what changed. */
export interface Layout {
  yamlIndent: number;
  json: JsonStyle;
}

export const DEFAULT_LAYOUT: Layout = { yamlIndent: 4, json: DEFAULT_JSON_STYLE };

export interface EncryptedDocument {
  format: SopsFormat;
  /** Data branches with ENC[…] values (one per YAML document), metadata removed. */
  branches: Branch[];
  metadata: SopsMetadata;
  layout: Layout;
}

const SOPS_KEY = 'sops';
const DOTENV_PREFIX = 'sops_';

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('utf8');
}

function detectYamlIndent(src: string): number {
  const m = /^sops:\r?\n( +)\S/m.exec(src) ?? /^\S[^\n]*:\r?\n( +)\S/m.exec(src);
  return m ? m[1].length : 4;
}

function withoutKey(branch: Branch, key: string): Branch {
  return new Branch(branch.items.filter((i) => i instanceof Comment || i.key !== key));
}

function metadataOf(branch: Branch, file: string): SopsMetadata | undefined {
  const md = branch.get(SOPS_KEY);
  return md === undefined ? undefined : parseMetadata(plainData(md), file);
}

export function loadEncrypted(bytes: Uint8Array, format: SopsFormat, file: string): EncryptedDocument {
  const src = text(bytes);
  switch (format) {
    case 'yaml': {
      const docs = loadYaml(src, file);
      const metadata = docs.length ? metadataOf(docs[0], file) : undefined;
      if (!metadata) throw notEncrypted(file);
      return {
        format,
        branches: docs.map((d) => withoutKey(d, SOPS_KEY)),
        metadata,
        layout: { ...DEFAULT_LAYOUT, yamlIndent: detectYamlIndent(src) },
      };
    }
    case 'json':
    case 'binary': {
      let branch: Branch;
      try {
        branch = loadJson(src, file);
      } catch (err) {
        // A binary secret that is not a JSON envelope simply is not encrypted.
        if (format === 'binary') throw notEncrypted(file);
        throw err as SopsError;
      }
      const metadata = metadataOf(branch, file);
      if (!metadata) throw notEncrypted(file);
      const data = withoutKey(branch, SOPS_KEY);
      if (format === 'binary' && typeof data.get('data') !== 'string') {
        throw malformed(file, 'binary envelope', 'the "data" key is missing');
      }
      return { format, branches: [data], metadata, layout: { ...DEFAULT_LAYOUT, json: detectJsonStyle(src) } };
    }
    case 'dotenv': {
      const branch = loadDotenv(src, file);
      const flat: Record<string, string> = {};
      const items: (Entry | Comment)[] = [];
      for (const item of branch.items) {
        if (!(item instanceof Comment) && item.key.startsWith(DOTENV_PREFIX)) {
          flat[item.key.slice(DOTENV_PREFIX.length)] = String(item.value);
        } else items.push(item);
      }
      if (Object.keys(flat).length === 0) throw notEncrypted(file);
      return { format, branches: [new Branch(items)], metadata: parseMetadata(unflattenMetadata(flat), file), layout: DEFAULT_LAYOUT };
    }
    case 'ini': {
      const branch = loadIni(src, file);
      const section = branch.get(SOPS_KEY);
      if (!(section instanceof Branch)) throw notEncrypted(file);
      const flat: Record<string, string> = {};
      for (const e of section.entries()) flat[e.key] = String(e.value);
      return {
        format,
        branches: [withoutKey(branch, SOPS_KEY)],
        metadata: parseMetadata(unflattenMetadata(flat), file),
        layout: DEFAULT_LAYOUT,
      };
    }
  }
}

export function emitEncrypted(doc: EncryptedDocument, file: string): string {
  const { format, branches, metadata, layout } = doc;
  switch (format) {
    case 'yaml': {
      const md = metadataBranch(metadata);
      return emitYaml(
        branches.map((b) => new Branch([...b.items, { key: SOPS_KEY, value: md }])),
        layout.yamlIndent,
      );
    }
    case 'json':
    case 'binary':
      return emitJson(new Branch([...branches[0].items, { key: SOPS_KEY, value: metadataBranch(metadata) }]), layout.json);
    case 'dotenv': {
      const md = flattenMetadata(metadata).map(([k, v]): Entry => ({ key: DOTENV_PREFIX + k, value: v }));
      return emitDotenv(new Branch([...branches[0].items, ...md]), file);
    }
    case 'ini': {
      const md = flattenMetadata(metadata).map(([k, v]): Entry => ({ key: k, value: v }));
      return emitIni(new Branch([...branches[0].items, { key: SOPS_KEY, value: new Branch(md) }]), file);
    }
  }
}

export function loadPlain(bytes: Uint8Array, format: SopsFormat, file: string): Branch[] {
  switch (format) {
    case 'yaml':
      return loadYaml(text(bytes), file);
    case 'json':
      return [loadJson(text(bytes), file)];
    case 'dotenv':
      return [loadDotenv(text(bytes), file)];
    case 'ini':
      return [loadIni(text(bytes), file)];
    case 'binary':
      return [new Branch([{ key: 'data', value: new Uint8Array(bytes) }])];
  }
}

export function emitPlain(format: SopsFormat, branches: Branch[], file: string, layout: Layout = DEFAULT_LAYOUT): Buffer {
  switch (format) {
    case 'yaml':
      return Buffer.from(emitYaml(branches, layout.yamlIndent));
    case 'json':
      return Buffer.from(emitJson(branches[0], layout.json));
    case 'dotenv':
      return Buffer.from(emitDotenv(branches[0], file));
    case 'ini':
      return Buffer.from(emitIni(branches[0], file));
    case 'binary': {
      const data = branches[0]?.get('data');
      if (typeof data === 'string') return Buffer.from(data, 'utf8');
      if (data instanceof Uint8Array) return Buffer.from(data);
      throw malformed(file, 'binary envelope', 'the "data" key is missing');
    }
  }
}

/** Does a plaintext document already carry sops metadata (sops refuses to encrypt it twice)? */
export function hasSopsMetadata(format: SopsFormat, branches: Branch[]): boolean {
  const first = branches[0];
  if (!first) return false;
  if (format === 'dotenv') return first.entries().some((e) => e.key.startsWith(DOTENV_PREFIX));
  if (format === 'binary') return false;
  return first.get(SOPS_KEY) !== undefined;
}
