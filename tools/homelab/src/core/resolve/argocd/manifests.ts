import { HomelabError } from '../../model/errors.ts';
import { posix } from 'node:path';
import type { RepoFiles } from '../../workspace/repo-files.ts';
import { isRecord, parseYamlDocuments } from '../../workspace/yaml-docs.ts';

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
    // kubectl and ArgoCD reject a document that is a list; ignoring it would silently drop the Applications in it.
    if (Array.isArray(doc) && doc.some((d) => isRecord(d) && typeof d.apiVersion === 'string' && d.apiVersion.startsWith('argoproj.io/'))) {
      throw new HomelabError(
        `${file}: a YAML document is a list, not an Application or ApplicationSet`,
        'write each object as its own document separated by ---',
      );
    }
    if (!isRecord(doc) || typeof doc.apiVersion !== 'string' || !doc.apiVersion.startsWith('argoproj.io/')) continue;
    if (doc.kind === 'Application' || doc.kind === 'ApplicationSet') out.push({ kind: doc.kind, doc, file });
  }
  return out;
}

/**
 * Files of a cluster directory that may hold ArgoCD objects: every `.yaml`/`.yml`/`.json` file below it,
 * recursively, except the cluster's own declaration file and files inside a chart (a directory holding a
 * Chart.yaml is Helm input, not manifests). Cheap pre-filter: a file that never mentions argoproj.io holds none.
 */
export async function clusterManifestFiles(clusterDir: string, files: RepoFiles, declarationFile: string): Promise<string[]> {
  const all = await files.walk(clusterDir, 'file');
  const chartDirs = all.filter((f) => posix.basename(f) === 'Chart.yaml').map((f) => `${posix.dirname(f)}/`);
  const manifests = all.filter((f) => /\.(ya?ml|json)$/.test(f) && f !== `${clusterDir}/${declarationFile}` && !chartDirs.some((d) => f.startsWith(d)));
  const out: string[] = [];
  for (const file of manifests) if (((await files.text(file)) ?? '').includes('argoproj.io')) out.push(file);
  return out;
}

/** ArgoCD objects of a cluster directory (the files of `clusterManifestFiles`). */
export async function readClusterObjects(clusterDir: string, files: RepoFiles, declarationFile: string): Promise<ArgoObject[]> {
  const objects: ArgoObject[] = [];
  for (const file of await clusterManifestFiles(clusterDir, files, declarationFile)) {
    objects.push(...argoObjects(parseYamlDocuments((await files.text(file)) ?? '', file), file));
  }
  return objects;
}
