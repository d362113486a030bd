import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { HomelabError } from '../model/errors.ts';
import { inputPath } from '../exec/process.ts';
import type { Release, ValueFile } from '../model/types.ts';
import type { Branch } from '../secrets/index.ts';

/** Decrypted (or placeholder) content of one SOPS value file, held only in memory. */
export interface SecretValues {
  /** The YAML document helm reads from a pipe. */
  plaintext: Buffer;
  /** Every decrypted value as text, for the masker. Empty for placeholders. */
  leaves: string[];
  /** The decrypted documents, where the engine built them: slicing one key then parses nothing again. */
  branches?: Branch[];
}

export interface SecretSource {
  /** `slice`: only this top-level key of the document (see SHARED_SECRETS). */
  load(absolutePath: string, slice?: string): Promise<SecretValues>;
}

/**
 * The workspace's shared secrets store: its top-level keys are chart names, and a release receives only its own
 * chart's key — not every other chart's secrets, which an install would otherwise store in its Helm release record.
 * Any other `secrets://` file an Application names is that release's own and passed whole.
 */
export const SHARED_SECRETS = 'secrets.yaml';

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
 * Where content held in memory (a `secrets://` file's values, inline values) is handed to helm: its path argument.
 * `file` is the value file it came from, undefined for `values`/`valuesObject`.
 */
export type PlaceContent = (content: Buffer, file: ValueFile | undefined) => string;

/**
 * ArgoCD's helm flag order (util/helm/cmd.go `template`): --set, --set-string, --set-file, then the value files
 * in order, then `values`/`valuesObject` as one last values file. Helm applies --set after every -f whatever
 * the argv order, so precedence matches ArgoCD exactly. In-memory content goes through pipes unless `place` puts it
 * elsewhere (verify writes keyless placeholders into a scratch copy, where ArgoCD would read files).
 */
export async function buildHelmValues(root: string, release: Release, secrets: SecretSource, place?: PlaceContent, chartRoot?: string): Promise<HelmValues> {
  const args: string[] = [];
  const inputs: Buffer[] = [];
  const leaves: string[] = [];
  const pipe: PlaceContent = place ?? ((content) => inputPath(inputs.push(content) - 1));

  for (const [flag, forceString] of [
    ['--set', false],
    ['--set-string', true],
  ] as const) {
    for (const p of lastPerName(release.parameters).filter((p) => p.forceString === forceString)) {
      args.push(flag, `${p.name}=${escapeSetValue(p.value)}`);
    }
  }
  for (const p of release.fileParameters) {
    args.push('--set-file', `${p.name}=${escapeSetValue(insideRepository(root, release, p.path, `helm.fileParameters ${p.name}`))}`);
  }
  let usesSecrets = false;
  for (const file of release.valueFiles) {
    // A value file inside an upstream chart is read from the fetched chart (`chartRoot`), as ArgoCD reads the pulled one.
    if (file.inChart) {
      const inChart = path.join(chartRoot ?? '.', file.path);
      if (!release.ignoreMissingValueFiles || existsSync(inChart)) args.push('--values', inChart);
      continue;
    }
    const absolute = path.resolve(root, file.path);
    if (release.ignoreMissingValueFiles && !existsSync(absolute)) continue;
    insideRepository(root, release, file.path, `value file ${file.raw}`);
    if (file.secret) {
      usesSecrets = true;
      const decrypted = await secrets.load(absolute, file.path === SHARED_SECRETS ? release.chart : undefined);
      leaves.push(...decrypted.leaves);
      args.push('--values', pipe(decrypted.plaintext, file));
    } else {
      args.push('--values', absolute);
    }
  }
  const extra = extraValues(release);
  if (extra !== undefined) args.push('--values', pipe(Buffer.from(extra), undefined));
  return { args, inputs, secrets: leaves, usesSecrets };
}

/**
 * ArgoCD's repo-server refuses a value file that resolves, through symlinks, outside the repository ("resolved to
 * outside repository root"): a render here must not read what ArgoCD cannot. Returns the file's absolute path.
 */
function insideRepository(root: string, release: Release, file: string, what: string): string {
  const absolute = path.resolve(root, file);
  let real: string;
  try {
    real = realpathSync(absolute);
  } catch {
    return absolute; // missing: helm names it
  }
  const relative = path.relative(realpathSync(root), real);
  if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
    throw new HomelabError(
      `${release.definedIn[0] ?? release.chartDir}: Application ${release.application || release.name}: ${what} (${file}) resolves to ${real}, outside the repository; ArgoCD refuses to read it`,
      'copy the file into the repository and point the Application at the copy',
    );
  }
  return absolute;
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
