/**
 * The `sops` metadata block: reading every layout sops 3.x wrote (struct order with `kms: []` or
 * `null`, 3.10+ omitempty, 3.13 alphabetical, `key_groups` + Shamir, dotenv/INI flattened) and
 * writing the 3.9–3.12 struct order.
 */
import { malformed } from './errors.ts';
import { normalizeRfc3339 } from './go-values.ts';
import { Branch, Comment, Float, Int, Time, Verbatim, type Entry, type Value } from './tree.ts';

export const RULE_KINDS = [
  'unencrypted_suffix',
  'encrypted_suffix',
  'unencrypted_regex',
  'encrypted_regex',
  'unencrypted_comment_regex',
  'encrypted_comment_regex',
] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

/** Which leaves get encrypted (at most one rule per file; default `unencrypted_suffix: _unencrypted`). */
export interface EncryptionRule {
  kind: RuleKind;
  value: string;
}

export const DEFAULT_RULE: EncryptionRule = { kind: 'unencrypted_suffix', value: '_unencrypted' };

export interface AgeKeyEntry {
  recipient: string;
  enc: string;
}

/** Master keys other than age (pgp, kms, …), kept verbatim so rewrites do not drop them. */
const OTHER_KEY_TYPES = ['kms', 'gcp_kms', 'azure_kv', 'hc_vault', 'hckms', 'pgp'] as const;
export type OtherKeyType = (typeof OTHER_KEY_TYPES)[number];

export interface KeyGroup {
  age: AgeKeyEntry[];
  others: Partial<Record<OtherKeyType, Record<string, unknown>[]>>;
}

export interface SopsMetadata {
  keyGroups: KeyGroup[];
  /** 0 = not set (defaults to the number of groups). */
  shamirThreshold: number;
  /** As stored in the file. */
  lastModified: string;
  mac: string;
  rule: EncryptionRule;
  macOnlyEncrypted: boolean;
  version: string;
}

export function otherKeyCount(group: KeyGroup): number {
  return Object.values(group.others).reduce((n, list) => n + (list?.length ?? 0), 0);
}

export function ageRecipients(md: SopsMetadata): string[] {
  return md.keyGroups.flatMap((g) => g.age.map((a) => a.recipient));
}

// ---- reading ----

/** A tree value as plain JS data (metadata only: times keep their source text). */
export function plainData(v: Value): unknown {
  if (v instanceof Branch) {
    const out: Record<string, unknown> = Object.create(null);
    for (const e of v.items) if (!(e instanceof Comment)) out[e.key] = plainData(e.value);
    return out;
  }
  if (Array.isArray(v)) return v.filter((i) => !(i instanceof Comment)).map((i) => plainData(i as Value));
  if (v instanceof Int) return Number(v.value);
  if (v instanceof Float) return v.value;
  if (v instanceof Time) return v.source;
  if (v instanceof Verbatim) return v.text;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return v;
}

/** mapstructure is case-insensitive on field names. */
function field(obj: Record<string, unknown>, name: string): unknown {
  if (name in obj) return obj[name];
  const key = Object.keys(obj).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : obj[key];
}

function str(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : String(v);
}

function list(v: unknown): Record<string, unknown>[] {
  if (!Array.isArray(v)) return [];
  return v.filter((x): x is Record<string, unknown> => x !== null && typeof x === 'object');
}

function group(obj: Record<string, unknown>): KeyGroup {
  const age = list(field(obj, 'age')).map((a) => ({ recipient: str(field(a, 'recipient')), enc: str(field(a, 'enc')) }));
  const others: KeyGroup['others'] = {};
  for (const t of OTHER_KEY_TYPES) {
    const entries = list(field(obj, t));
    if (entries.length) others[t] = entries;
  }
  return { age, others };
}

export function parseMetadata(raw: unknown, file: string): SopsMetadata {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw malformed(file, 'sops metadata', 'the sops key does not hold a mapping');
  }
  const obj = raw as Record<string, unknown>;
  const lastModified = str(field(obj, 'lastmodified'));
  if (normalizeRfc3339(lastModified) === undefined) {
    throw malformed(file, 'sops metadata', 'lastmodified is missing or not an RFC 3339 time');
  }
  const flat = group(obj);
  let keyGroups: KeyGroup[];
  if (flat.age.length || Object.keys(flat.others).length) keyGroups = [flat];
  else keyGroups = list(field(obj, 'key_groups')).map(group);
  if (keyGroups.length === 0) throw malformed(file, 'sops metadata', 'no master keys found in the file');
  const rules = RULE_KINDS.map((kind) => ({ kind, value: str(field(obj, kind)) })).filter((r) => r.value !== '');
  if (rules.length > 1) {
    throw malformed(file, 'sops metadata', `more than one encryption rule (${rules.map((r) => r.kind).join(', ')})`);
  }
  const macOnly = field(obj, 'mac_only_encrypted');
  const threshold = Number(field(obj, 'shamir_threshold') ?? 0);
  return {
    keyGroups,
    shamirThreshold: Number.isInteger(threshold) && threshold > 0 ? threshold : 0,
    lastModified,
    mac: str(field(obj, 'mac')),
    rule: rules[0] ?? DEFAULT_RULE,
    macOnlyEncrypted: macOnly === true || macOnly === 'true' || macOnly === 1 || macOnly === '1',
    version: str(field(obj, 'version')),
  };
}

const MAP_SEP = '__map_';
const LIST_SEP = '__list_';

/** sops `Unflatten` (+ `DecodeNewLines`) of dotenv/INI metadata keys such as `age__list_0__map_enc`. */
export function unflattenMetadata(flat: Record<string, string>): Record<string, unknown> {
  const root: Record<string, unknown> = Object.create(null);
  for (const [path, raw] of Object.entries(flat)) {
    const value = raw.replaceAll('\\n', '\n');
    const tokens: (string | number)[] = [];
    const re = /(__map_|__list_)/g;
    let last = 0;
    let kind = '';
    for (let m = re.exec(path); m; m = re.exec(path)) {
      const text = path.slice(last, m.index);
      tokens.push(kind === LIST_SEP ? Number(text) : text);
      kind = m[0];
      last = m.index + m[0].length;
    }
    const tail = path.slice(last);
    tokens.push(kind === LIST_SEP ? Number(tail) : tail);
    let node: Record<string, unknown> | unknown[] = root;
    for (let i = 0; i < tokens.length; i++) {
      const tok = tokens[i];
      const container = node as Record<string | number, unknown>;
      if (i === tokens.length - 1) {
        container[tok] = value;
        break;
      }
      const nextIsList = typeof tokens[i + 1] === 'number';
      container[tok] ??= nextIsList ? [] : Object.create(null);
      node = container[tok] as Record<string, unknown> | unknown[];
    }
  }
  return root;
}

// ---- writing (sops 3.9–3.12 struct order, empty lists omitted as 3.10+ does) ----

function entries(obj: Record<string, unknown>): Entry[] {
  return Object.entries(obj).map(([key, v]) => ({ key, value: toValue(v) }));
}

function toValue(v: unknown): Value {
  if (Array.isArray(v)) return v.map(toValue);
  if (v !== null && typeof v === 'object') return new Branch(entries(v as Record<string, unknown>));
  if (typeof v === 'number') return Number.isInteger(v) ? new Int(v) : new Float(v);
  if (typeof v === 'boolean' || v === null) return v;
  return str(v);
}

function ageList(age: AgeKeyEntry[]): Value {
  return age.map(
    (a) =>
      new Branch([
        { key: 'recipient', value: a.recipient },
        { key: 'enc', value: a.enc },
      ]),
  );
}

function groupEntries(g: KeyGroup, withPgp: boolean): Entry[] {
  const out: Entry[] = [];
  for (const t of ['kms', 'gcp_kms', 'azure_kv', 'hc_vault', 'hckms'] as const) {
    if (g.others[t]?.length) out.push({ key: t, value: toValue(g.others[t]) });
  }
  if (g.age.length) out.push({ key: 'age', value: ageList(g.age) });
  if (withPgp && g.others.pgp?.length) out.push({ key: 'pgp', value: toValue(g.others.pgp) });
  return out;
}

/** The metadata as the tree sops appends under the `sops` key (YAML, JSON, binary). */
export function metadataBranch(md: SopsMetadata): Branch {
  const items: Entry[] = [];
  const single = md.keyGroups.length === 1;
  if (!single) {
    if (md.shamirThreshold > 0) items.push({ key: 'shamir_threshold', value: new Int(md.shamirThreshold) });
    items.push({
      key: 'key_groups',
      value: md.keyGroups.map((g) => {
        const pgp = g.others.pgp?.length ? [{ key: 'pgp', value: toValue(g.others.pgp) }] : [];
        return new Branch([...pgp, ...groupEntries(g, false)]);
      }),
    });
  } else {
    items.push(...groupEntries(md.keyGroups[0], false));
  }
  items.push({ key: 'lastmodified', value: md.lastModified }, { key: 'mac', value: md.mac });
  if (single && md.keyGroups[0].others.pgp?.length) items.push({ key: 'pgp', value: toValue(md.keyGroups[0].others.pgp) });
  items.push({ key: md.rule.kind, value: md.rule.value });
  if (md.macOnlyEncrypted) items.push({ key: 'mac_only_encrypted', value: true });
  items.push({ key: 'version', value: md.version });
  return new Branch(items);
}

/** sops `FlattenMetadata` + `EncodeNonStrings` + `EncodeNewLines`, sorted (dotenv and INI). */
export function flattenMetadata(md: SopsMetadata): [string, string][] {
  const out: [string, string][] = [];
  const walk = (prefix: string, v: Value): void => {
    if (v instanceof Branch) {
      for (const e of v.entries()) walk(prefix === '' ? e.key : `${prefix}${MAP_SEP}${e.key}`, e.value);
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => walk(`${prefix}${LIST_SEP}${i}`, item as Value));
    } else if (v !== null) {
      const text = v instanceof Int ? v.value.toString() : v instanceof Float ? String(v.value) : String(v);
      out.push([prefix, text.replaceAll('\n', '\\n')]);
    }
  };
  walk('', metadataBranch(md));
  return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
