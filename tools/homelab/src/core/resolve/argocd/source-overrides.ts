import { posix } from 'node:path';
import { HomelabError } from '../../model/errors.ts';
import type { RepoFiles } from '../../workspace/repo-files.ts';
import { isRecord, parseYamlDocument } from '../../workspace/yaml-docs.ts';

/**
 * ArgoCD's repo-server parameter overrides: before rendering a source, it merges `.argocd-source.yaml` and then
 * `.argocd-source-<app>.yaml` from the source's directory into the source (a JSON merge patch: maps merge, lists
 * replace, null deletes), and keeps the source's repoURL, path, chart and targetRevision. ArgoCD Image Updater's git
 * write-back writes exactly these files (`helm.parameters` with `forcestring`, `kustomize.images`).
 * `<app>` is the Application's instance name: its name when it lives in the control plane's namespace (taken to be
 * `argocd`) or has none, else `<namespace>_<name>`.
 */
export async function mergeSourceOverrides(
  source: Record<string, unknown>,
  dir: string,
  application: { name: string; namespace: string },
  files: RepoFiles,
): Promise<{ source: Record<string, unknown>; read: string[] }> {
  const instance = application.namespace === '' || application.namespace === 'argocd' ? application.name : `${application.namespace}_${application.name}`;
  let merged: Record<string, unknown> = source;
  const read: string[] = [];
  for (const name of ['.argocd-source.yaml', `.argocd-source-${instance}.yaml`]) {
    const file = posix.join(dir, name);
    const text = await files.text(file);
    if (text === undefined) continue;
    read.push(file);
    const patch = parseYamlDocument(text, file);
    if (patch === null) continue;
    if (!isRecord(patch)) throw new HomelabError(`${file}: expected a mapping of source fields (helm:, kustomize:, …)`, 'fix the file, or delete it');
    merged = mergePatch(merged, canonicalKeys(patch)) as Record<string, unknown>;
  }
  if (read.length === 0) return { source, read };
  for (const key of ['repoURL', 'path', 'chart', 'targetRevision']) {
    if (source[key] === undefined) delete merged[key];
    else merged[key] = source[key];
  }
  return { source: merged, read };
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return patch;
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/** ApplicationSource field names: Go's JSON decoding matches them case-insensitively (Image Updater writes `forcestring`). */
const FIELDS = new Map(
  [
    'helm kustomize directory plugin parameters fileParameters valueFiles values valuesObject releaseName namespace',
    'ignoreMissingValueFiles skipCrds skipSchemaValidation skipTests passCredentials version kubeVersion apiVersions name',
    'value forceString path images namePrefix nameSuffix commonLabels commonAnnotations commonAnnotationsEnvsubst replicas',
    'count forceCommonLabels forceCommonAnnotations patches components ignoreMissingComponents labelWithoutSelector',
    'labelIncludeTemplates recurse include exclude jsonnet extVars tlas libs code env',
  ]
    .join(' ')
    .split(' ')
    .map((field) => [field.toLowerCase(), field]),
);
/** Fields holding user data, whose keys are not field names. */
const FREE_FORM = new Set(['valuesObject', 'commonLabels', 'commonAnnotations']);

function canonicalKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalKeys);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => {
      const field = FIELDS.get(key.toLowerCase()) ?? key;
      return [field, FREE_FORM.has(field) ? v : canonicalKeys(v)];
    }),
  );
}
