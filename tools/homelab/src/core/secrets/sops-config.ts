/**
 * `.sops.yaml` creation rules (sops `config.LoadCreationRuleForFile`): which age recipients and which
 * encryption rule a *new* file gets. The first rule whose `path_regex` matches the file's path relative
 * to the config's directory wins; a rule without `path_regex` matches everything.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { HomelabError } from '../model/errors.ts';
import { RULE_KINDS, type EncryptionRule } from './metadata.ts';
import { goRegExp } from './rules.ts';

export const SOPS_CONFIG_FILE = '.sops.yaml';

export interface CreationRule {
  /** The `.sops.yaml` the rule comes from. */
  configFile: string;
  /** age recipients per key group (one group unless the rule has `key_groups`). */
  keyGroups: string[][];
  shamirThreshold?: number;
  rule?: EncryptionRule;
  macOnlyEncrypted: boolean;
  /** `stores.yaml.indent` / `stores.json.indent` of the config. */
  yamlIndent?: number;
  jsonIndent?: number;
}

/** sops looks for `.sops.yaml` from a directory upwards; the nearest one counts. */
export function findSopsConfig(fromDir: string): string | undefined {
  let dir = path.resolve(fromDir);
  for (;;) {
    const candidate = path.join(dir, SOPS_CONFIG_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function invalid(configFile: string, why: string): HomelabError {
  return new HomelabError(`${configFile}: ${why}`, 'fix the creation_rules of .sops.yaml (see the sops documentation)');
}

/** `age:` is a comma-separated string or a list of recipients. */
function recipientList(value: unknown, configFile: string): string[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : [value];
  return items.flatMap((item) => {
    if (typeof item !== 'string') throw invalid(configFile, `age recipients must be strings, got ${typeof item}`);
    return item
      .split(',')
      .map((r) => r.trim())
      .filter((r) => r !== '');
  });
}

const NON_AGE_KEYS = ['pgp', 'kms', 'gcp_kms', 'azure_keyvault', 'azure_kv', 'hc_vault_transit_uri', 'hc_vault', 'hckms'];

function ruleOf(raw: Record<string, unknown>, configFile: string): EncryptionRule | undefined {
  const rules = RULE_KINDS.filter((kind) => typeof raw[kind] === 'string' && raw[kind] !== '').map((kind) => ({ kind, value: raw[kind] as string }));
  if (rules.length > 1) throw invalid(configFile, `a creation rule has more than one encryption rule (${rules.map((r) => r.kind).join(', ')})`);
  return rules[0];
}

/** The creation rule for `file` (absolute or relative to the process cwd) from `configFile`. */
export function creationRuleFor(file: string, configFile: string): CreationRule {
  let doc: unknown;
  try {
    doc = parse(readFileSync(configFile, 'utf8'));
  } catch (err) {
    throw invalid(configFile, `not readable YAML (${(err as Error).message.split('\n')[0]})`);
  }
  const rules = (doc as { creation_rules?: unknown } | null)?.creation_rules;
  if (!Array.isArray(rules) || rules.length === 0) throw invalid(configFile, 'has no creation_rules');
  const configDir = path.dirname(path.resolve(configFile));
  const absolute = path.resolve(file);
  // Like sops: the path relative to the config's directory when inside it, else the absolute path.
  const relative = absolute.startsWith(configDir + path.sep) ? absolute.slice(configDir.length + 1) : absolute;
  const matchPath = relative.split(path.sep).join('/');
  const raw = rules.find((r: unknown) => {
    const regex = (r as { path_regex?: unknown })?.path_regex;
    if (regex === undefined || regex === '') return true;
    if (typeof regex !== 'string') throw invalid(configFile, 'path_regex must be a string');
    return goRegExp(regex, configFile).test(matchPath);
  }) as Record<string, unknown> | undefined;
  if (!raw) {
    throw new HomelabError(
      `${configFile}: no creation rule matches ${matchPath}`,
      'add a creation rule whose path_regex matches the new file, or create the file next to an existing one',
    );
  }
  let keyGroups: string[][];
  if (Array.isArray(raw.key_groups) && raw.key_groups.length > 0) {
    keyGroups = raw.key_groups.map((g: unknown) => recipientList((g as { age?: unknown } | null)?.age, configFile));
  } else {
    keyGroups = [recipientList(raw.age, configFile)];
  }
  if (keyGroups.some((g) => g.length === 0)) {
    const others = NON_AGE_KEYS.filter((k) => raw[k] !== undefined);
    throw new HomelabError(
      `${configFile}: the creation rule for ${matchPath} has ${others.length ? `only ${others.join(', ')} keys` : 'no age recipients'}${keyGroups.length > 1 ? ' in a key group' : ''}`,
      'list age1… recipients (age: or key_groups[].age) — the built-in SOPS backend encrypts for age only',
    );
  }
  const stores = (doc as { stores?: { yaml?: { indent?: unknown }; json?: { indent?: unknown } } }).stores;
  const threshold = raw.shamir_threshold;
  return {
    configFile,
    keyGroups,
    shamirThreshold: typeof threshold === 'number' && threshold > 0 ? threshold : undefined,
    rule: ruleOf(raw, configFile),
    macOnlyEncrypted: raw.mac_only_encrypted === true,
    yamlIndent: typeof stores?.yaml?.indent === 'number' ? stores.yaml.indent : undefined,
    jsonIndent: typeof stores?.json?.indent === 'number' ? stores.json.indent : undefined,
  };
}
