import { posix } from 'node:path';
import type { RepoFiles } from '../repo-files.ts';
import { isRecord, parseYamlDocuments } from '../yaml-docs.ts';

export type ArgoKind = 'Application' | 'ApplicationSet';

export interface ArgoObject {
  kind: ArgoKind;
  doc: Record<string, unknown>;
  /** Workspace-relative file the object was read from (or the label of a rendered chart). */
  file: string;
}

/** The Applications and ApplicationSets among a file's documents; other kinds are ignored. */
export function argoObjects(docs: unknown[], file: string): ArgoObject[] {
  const out: ArgoObject[] = [];
  for (const doc of docs) {
    if (!isRecord(doc) || typeof doc.apiVersion !== 'string' || !doc.apiVersion.startsWith('argoproj.io/')) continue;
    if (doc.kind === 'Application' || doc.kind === 'ApplicationSet') out.push({ kind: doc.kind, doc, file });
  }
  return out;
}

/**
 * ArgoCD objects of a cluster directory: every `.yaml`/`.yml`/`.json` file below it, recursively,
 * except the cluster's own declaration file and files inside a chart (a directory holding a
 * Chart.yaml is Helm input, not manifests).
 */
export async function readClusterObjects(clusterDir: string, files: RepoFiles, declarationFile: string): Promise<ArgoObject[]> {
  const all = await files.walk(clusterDir, 'file');
  const chartDirs = all.filter((f) => posix.basename(f) === 'Chart.yaml').map((f) => `${posix.dirname(f)}/`);
  const manifests = all.filter(
    (f) => /\.(ya?ml|json)$/.test(f) && f !== `${clusterDir}/${declarationFile}` && !chartDirs.some((d) => f.startsWith(d)),
  );
  const objects: ArgoObject[] = [];
  for (const file of manifests) {
    const text = (await files.text(file)) ?? '';
    // Cheap pre-filter: most manifests are not ArgoCD objects; still parse anything that could be.
    if (!text.includes('argoproj.io')) continue;
    objects.push(...argoObjects(parseYamlDocuments(text, file), file));
  }
  return objects;
}
