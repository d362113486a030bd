import { parseDocument } from 'yaml';
import { HomelabError } from '../model/errors.ts';
import type { RepoFiles } from '../workspace/repo-files.ts';
import type { Chart, Release } from '../model/types.ts';
import { encryptPredicate, parseMetadata, templateValueReads, type SopsMetadata } from '../secrets/index.ts';
import { isRecord } from '../workspace/yaml-docs.ts';
import { whereDeclared, type Findings } from './findings.ts';

const ENC = 'ENC[AES256_GCM,';

/** A SOPS file's keys as plain data, without its `sops` metadata; its values stay encrypted. */
type KeyTree = Record<string, unknown>;

/**
 * `secrets://` value files are SOPS-encrypted: a `sops` metadata block with an encrypted `mac`, ENC[…] values, and
 * no plaintext value where the file's own encryption rule (default `unencrypted_suffix: _unencrypted`) wants one.
 * Returns the key tree of every file that passes, for the key-path rule.
 */
export async function checkSecretFiles(releases: Release[], files: RepoFiles, findings: Findings): Promise<Map<string, KeyTree>> {
  const trees = new Map<string, KeyTree>();
  const readers = new Map<string, Release>();
  for (const release of releases) for (const v of release.valueFiles) if (v.secret && !readers.has(v.path)) readers.set(v.path, release);
  for (const [path, reader] of [...readers.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const text = await files.text(path);
    if (text === undefined) continue; // missing value files are the resolver's finding
    const problem = sopsProblem(text, path);
    if (typeof problem === 'string') {
      findings.add(
        'secrets-encrypted',
        `${path} ${problem}, yet ${whereDeclared(reader)} reads it as secrets://`,
        `encrypt it with SOPS (e.g. sops --encrypt --in-place ${path}), or drop the secrets:// prefix if nothing in it is secret`,
      );
    } else {
      trees.set(path, problem);
    }
  }
  return trees;
}

/** Why a text is not a SOPS-encrypted YAML file, or its key tree. */
function sopsProblem(text: string, file: string): string | KeyTree {
  const doc = parseDocument(text, { uniqueKeys: false });
  if (doc.errors.length > 0) return 'does not parse as YAML';
  const data: unknown = doc.toJS();
  if (!isRecord(data)) return 'is not a YAML mapping';
  const { sops, ...tree } = data;
  if (sops === undefined) return 'is not SOPS-encrypted (no sops metadata block)';
  let metadata: SopsMetadata;
  try {
    metadata = parseMetadata(sops, file);
  } catch (err) {
    return `has a broken sops metadata block (${err instanceof HomelabError ? err.message : String(err)})`;
  }
  if (!metadata.mac.startsWith(ENC)) return 'has a sops metadata block without an encrypted mac';
  const leaves: { path: string[]; value: unknown }[] = [];
  collectLeaves(tree, [], leaves);
  if (!leaves.some((l) => isEncrypted(l.value))) return 'holds no ENC[…] value';
  // Which leaves must be encrypted is the file's own rule; comment rules depend on comments this view drops.
  if (!metadata.rule.kind.endsWith('comment_regex')) {
    const mustEncrypt = encryptPredicate(metadata.rule, file);
    const plain = leaves.filter((l) => l.value !== null && l.value !== '' && !isEncrypted(l.value) && mustEncrypt(l.path, [], false));
    if (plain.length > 0)
      return `holds plaintext values (${plain
        .slice(0, 3)
        .map((l) => l.path.join('.'))
        .join(', ')}${plain.length > 3 ? ', …' : ''})`;
  }
  return tree;
}

const isEncrypted = (value: unknown): boolean => typeof value === 'string' && value.startsWith(ENC);

/** Leaves in SOPS's walk: list items share their list's path. */
function collectLeaves(value: unknown, path: string[], out: { path: string[]; value: unknown }[]): void {
  if (Array.isArray(value)) value.forEach((item) => collectLeaves(item, path, out));
  else if (isRecord(value)) for (const [key, item] of Object.entries(value)) collectLeaves(item, [...path, key], out);
  else out.push({ path, value });
}

/**
 * Every `.Values.<chart>.<path>` a chart's own templates read exists in the secrets files its releases read.
 * Top-level keys of a secrets file are chart names: a chart's key there is its secrets slot, and a chart whose
 * name is not a key there reads no secrets from it (its `.Values.<chart>` is plain configuration). Keys are
 * readable in a SOPS file, so no key is needed. A read through a variable (`$s := .Values.x` then `$s.y`) is
 * checked up to what is written after `.Values`.
 */
export async function checkSecretKeys(charts: Chart[], releases: Release[], trees: Map<string, KeyTree>, files: RepoFiles, findings: Findings): Promise<void> {
  for (const chart of charts) {
    const secretSets = new Map<string, string[]>();
    for (const release of releases.filter((r) => r.chartDir === chart.dir)) {
      const paths = release.valueFiles.filter((v) => v.secret).map((v) => v.path);
      if (paths.length > 0 && paths.every((p) => trees.has(p))) secretSets.set(paths.join('\0'), paths);
    }
    if (secretSets.size === 0) continue;
    for (const file of await files.walk(`${chart.dir}/templates`, 'file')) {
      const reads = templateValueReads((await files.text(file)) ?? '', file);
      for (const path of reads.paths.filter((p) => p[0] === chart.name)) {
        for (const secretFiles of secretSets.values()) {
          const slots = secretFiles.map((f) => trees.get(f)!).filter((tree) => Object.hasOwn(tree, chart.name));
          if (slots.length === 0 || slots.some((tree) => hasPath(tree, path))) continue;
          findings.add(
            'secret-keys',
            `${file} reads .Values.${path.join('.')}, which ${secretFiles.join(' and ')} does not have`,
            `add ${path.join('.')} to ${secretFiles[0]} (it keeps key names readable; edit it with SOPS), or stop reading it`,
          );
        }
      }
    }
  }
}

function hasPath(tree: KeyTree, path: string[]): boolean {
  let node: unknown = tree;
  for (const key of path) {
    if (!isRecord(node) || !Object.hasOwn(node, key)) return false;
    node = node[key];
  }
  return true;
}
