import { existsSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { inputPath } from './process.ts';
import type { Release } from './types.ts';

/** Decrypted (or placeholder) content of one SOPS value file, held only in memory. */
export interface SecretValues {
  /** The YAML document helm reads from a pipe. */
  plaintext: Buffer;
  /** Every decrypted value as text, for the masker. Empty for placeholders. */
  leaves: string[];
}

export interface SecretSource {
  load(absolutePath: string): Promise<SecretValues>;
}

/** Helm's value flags for one release, in ArgoCD's order, with in-memory sources as pipes. */
export interface HelmValues {
  args: string[];
  /** In-memory value files, referenced in `args` by `inputPath(i)` (process.ts). */
  inputs: Buffer[];
  /** Every secret value that went into the inputs (for masking output and errors). */
  secrets: string[];
  /** Whether any `secrets://` file was used. */
  usesSecrets: boolean;
}

/**
 * ArgoCD's helm flag order (util/helm/cmd.go `template`): --set, --set-string, --set-file, then the value files
 * in order, then `values`/`valuesObject` as one last values file. Helm applies --set after every -f whatever
 * the argv order, so precedence matches ArgoCD exactly.
 */
export async function buildHelmValues(root: string, release: Release, secrets: SecretSource): Promise<HelmValues> {
  const args: string[] = [];
  const inputs: Buffer[] = [];
  const leaves: string[] = [];
  const pipe = (content: Buffer) => inputPath(inputs.push(content) - 1);

  for (const [flag, forceString] of [['--set', false], ['--set-string', true]] as const) {
    for (const p of lastPerName(release.parameters).filter((p) => p.forceString === forceString)) {
      args.push(flag, `${p.name}=${escapeSetValue(p.value)}`);
    }
  }
  for (const p of release.fileParameters) {
    args.push('--set-file', `${p.name}=${escapeSetValue(path.resolve(root, p.path))}`);
  }
  let usesSecrets = false;
  for (const file of release.valueFiles) {
    const absolute = path.resolve(root, file.path);
    if (release.ignoreMissingValueFiles && !existsSync(absolute)) continue;
    if (file.secret) {
      usesSecrets = true;
      const decrypted = await secrets.load(absolute);
      leaves.push(...decrypted.leaves);
      args.push('--values', pipe(decrypted.plaintext));
    } else {
      args.push('--values', absolute);
    }
  }
  const extra = extraValues(release);
  if (extra !== undefined) args.push('--values', pipe(Buffer.from(extra)));
  return { args, inputs, secrets: leaves, usesSecrets };
}

/** ArgoCD keeps parameters in a map: the last one of a name wins. */
function lastPerName<T extends { name: string }>(items: T[]): T[] {
  return [...new Map(items.map((item) => [item.name, item])).values()];
}

/** ArgoCD's cleanSetParameters: escape unescaped commas unless the value is a `{a,b}` list. */
export function escapeSetValue(value: string): string {
  if (value.startsWith('{') && value.endsWith('}')) return value;
  return value.replace(/(?<!\\),/g, '\\,');
}

/** `valuesObject` wins over `values` (ArgoCD ApplicationSourceHelm.ValuesYAML). */
function extraValues(release: Release): string | undefined {
  if (release.valuesObject !== undefined && release.valuesObject !== null) return stringify(release.valuesObject);
  if (release.values && release.values.trim() !== '') return release.values;
  return undefined;
}
